// A bookinfo-style service (after Istio's sample): one file, four roles chosen by SERVICE.
//   productpage -> details, productpage -> reviews; reviews v2/v3 -> ratings.
// Like any app in the mesh it only reads HOST and PORT; its calls use plain service names and go
// through the sidecar because the platform sets HTTP_PROXY and NODE_USE_ENV_PROXY.
import { createServer } from 'node:http';

const service = process.env.SERVICE ?? 'productpage';
const version = process.env.VERSION ?? 'v1';
const host = process.env.HOST ?? '0.0.0.0';
const port = Number(process.env.PORT ?? 9080);

async function call(url, headers) {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    return response.ok ? JSON.parse(text) : { error: `${response.status} ${text}`.trim() };
  } catch (err) {
    return { error: err.message };
  }
}

/** Trace headers an app propagates so the mesh can join its calls into one trace. */
function traceHeaders(req) {
  const names = ['x-request-id', 'traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled'];
  return Object.fromEntries(names.filter((n) => req.headers[n]).map((n) => [n, req.headers[n]]));
}

const handlers = {
  async productpage(req) {
    const headers = traceHeaders(req);
    const [details, reviews] = await Promise.all([
      call('http://details:9080/details/0', headers),
      call('http://reviews:9080/reviews/0', headers),
    ]);
    return { product: 'The Comedy of Errors', details, reviews };
  },
  async details() {
    return { author: 'William Shakespeare', year: 1595, type: 'paperback', pages: 200 };
  },
  async reviews(req) {
    const reviews = [
      { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare.' },
      { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining.' },
    ];
    if (version === 'v1') return { version, reviews };
    const ratings = await call('http://ratings:9080/ratings/0', traceHeaders(req));
    const color = version === 'v2' ? 'black' : 'red';
    return { version, reviews, ratings, stars: color };
  },
  async ratings() {
    return { ratings: { Reviewer1: 5, Reviewer2: 4 } };
  },
};

const handler = handlers[service];
if (!handler) throw new Error(`unknown SERVICE ${service}`);
createServer(async (req, res) => {
  const body = JSON.stringify(await handler(req));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
}).listen(port, host, () => console.log(`${service} ${version} listening on ${host}:${port}`));
