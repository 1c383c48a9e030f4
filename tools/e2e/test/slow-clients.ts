import { connect, createServer, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/**
 * Clients that hold a proxy's connections without finishing what they started (slowloris): the
 * bytes of a real TLS ClientHello to replay, and a client that trickles its request a byte at a time.
 */

/** The first flight of a real TLS client offering Istio's ALPN, as a sidecar would send it. */
export async function clientHello(servername: string): Promise<Buffer> {
  const capture = createServer();
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  const first = new Promise<Buffer>((resolve) =>
    capture.once('connection', (socket: Socket) => socket.once('data', resolve)),
  );
  const tls = connectTls({
    port: (capture.address() as { port: number }).port,
    host: '127.0.0.1',
    servername,
    ALPNProtocols: ['istio-http/1.1', 'istio'],
  });
  tls.on('error', () => undefined);
  const hello = await first;
  tls.destroy();
  capture.close();
  return hello;
}

/**
 * A client that sends `burst` at once, then `trickle` one byte every 200 ms. Resolves with how long
 * the proxy let it hold the connection, or Infinity when it still had it after 10 s.
 */
export function slowClient(host: string, port: number, burst: Buffer, trickle: Buffer): Promise<number> {
  const started = Date.now();
  const socket = connect(port, host);
  socket.on('error', () => undefined);
  socket.resume(); // reads what the proxy answers, so its close is seen
  socket.write(burst);
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < trickle.length && !socket.destroyed) socket.write(trickle.subarray(sent, ++sent));
  }, 200);
  let gaveUp = false;
  const deadline = setTimeout(() => {
    gaveUp = true;
    socket.destroy();
  }, 10_000);
  return new Promise((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve(gaveUp ? Infinity : Date.now() - started);
    }),
  );
}
