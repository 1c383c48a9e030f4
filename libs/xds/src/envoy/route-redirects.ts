import type { HeaderValues } from './matchers.js';

/** A route's `redirect` action (Envoy's `Http::Utility::newUri`), read once when the route is compiled. */

const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

export interface Redirect {
  status: number;
  scheme?: string;
  https: boolean;
  host?: string;
  port?: string;
  path?: string;
}

export function compileRedirect(redirect: Record<string, unknown>): Redirect {
  const scheme = redirect['scheme_redirect'] as string | undefined;
  const host = redirect['host_redirect'] as string | undefined;
  const port = redirect['port_redirect'] ? String(redirect['port_redirect']) : undefined;
  const path = redirect['path_redirect'] as string | undefined;
  return {
    status: REDIRECT_CODES[String(redirect['response_code'] ?? 'MOVED_PERMANENTLY')] ?? 301,
    https: redirect['https_redirect'] === true,
    ...(scheme === undefined ? {} : { scheme }),
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port }),
    ...(path === undefined ? {} : { path }),
  };
}

/** The `location` of the redirect for a request. */
export function redirectLocation(redirect: Redirect, headers: HeaderValues): string {
  const requestScheme = headers.get(':scheme') ?? 'http';
  const scheme = redirect.scheme ?? (redirect.https ? 'https' : requestScheme);
  const authority = headers.get(':authority') ?? '';
  const port = redirect.port ? `:${redirect.port}` : '';
  // The request's port stays unless a port is given or the scheme changes away from its default port.
  const requestPort = /:\d+$/.exec(authority)?.[0];
  const defaultPort = requestScheme === 'https' ? ':443' : ':80';
  const keepPort = !port && !(scheme !== requestScheme && requestPort === defaultPort);
  const host = redirect.host ?? (keepPort ? authority : authority.replace(/:\d+$/, ''));
  // A path_redirect without a query string keeps the request's.
  const requestPath = headers.get(':path') ?? '/';
  const query = requestPath.includes('?') ? requestPath.slice(requestPath.indexOf('?')) : '';
  const path =
    redirect.path === undefined ? requestPath : redirect.path + (redirect.path.includes('?') ? '' : query);
  return `${scheme}://${host}${port}${path}`;
}
