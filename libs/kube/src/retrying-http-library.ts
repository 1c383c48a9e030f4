import {
  Observable,
  ResponseContext,
  type HttpLibrary,
  type RequestContext,
  type ResponseBody,
} from '@kubernetes/client-node';

import { retryingApiCall } from './api-status.js';

/**
 * The HTTP layer of every API client made from `loadKubeConfig`: a request the API server answers
 * 429 or 503 is sent again after the wait it asks for (`retryingApiCall`), as client-go's REST client
 * does for all its callers. Commands call the API right after applying CRDs (install, verify-install,
 * uninstall, precheck, check-inject, kube-inject, analyze), when a just established CRD's watch cache
 * answers "storage is (re)initializing"; retrying here covers every one of their calls, typed clients
 * and KubernetesObjectApi alike. Request bodies are strings, so resending one is safe.
 */

/** A 429/503 answer, thrown so that retryingApiCall reads its Status (code, body) as it reads API errors. */
class RetryableAnswer {
  constructor(
    readonly code: number,
    readonly body: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** The answer as the client would have had it, once no retry is left (its body was read here). */
  response(): ResponseContext {
    const body: ResponseBody = {
      text: () => Promise.resolve(this.body),
      binary: () => Promise.resolve(Buffer.from(this.body)),
      stream: () => null,
    };
    return new ResponseContext(this.code, this.headers, body);
  }
}

export class RetryingHttpLibrary implements HttpLibrary {
  constructor(
    private readonly inner: HttpLibrary,
    private readonly budgetMs?: number,
  ) {}

  send(request: RequestContext): Observable<ResponseContext> {
    return new Observable(this.sendRetrying(request));
  }

  private async sendRetrying(request: RequestContext): Promise<ResponseContext> {
    try {
      return await retryingApiCall(async () => {
        const response = await this.inner.send(request).toPromise();
        const code = response.httpStatusCode;
        if (code !== 429 && code !== 503) return response;
        throw new RetryableAnswer(code, await response.body.text(), response.headers);
      }, this.budgetMs);
    } catch (err) {
      if (err instanceof RetryableAnswer) return err.response();
      throw err;
    }
  }
}
