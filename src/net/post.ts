// One POST through an undici dispatcher, answered with the status code; the response body is
// read and discarded (past MAX_BODY bytes the connection is closed: the status is known).
// This is undici's dispatch API with a minimal handler: `request()` wraps every response
// body in a Readable stream, and for webhooks — whose answer only matters by its status —
// that stream's machinery was ~10 % of the delivery worker's CPU (docs/benchmarks.md F21).
import type { Dispatcher } from 'undici';

const MAX_BODY = 128 * 1024;

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  /** Applies to the response headers and, separately, to the gap between body chunks. */
  timeoutMs: number;
}

export function postStatus(dispatcher: Dispatcher, url: string, opts: PostOptions): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let status = 0;
    let bytes = 0;
    let abort: ((err?: Error) => void) | null = null;
    const handler: Dispatcher.DispatchHandler = {
      onConnect(a) {
        abort = a;
      },
      onHeaders(statusCode) {
        status = statusCode;
        return true;
      },
      onData(chunk) {
        bytes += chunk.length;
        if (bytes > MAX_BODY) {
          resolve(status); // answered; the rest is not worth the wait
          abort?.(new Error('response body too large'));
          return false;
        }
        return true;
      },
      onComplete() {
        resolve(status);
      },
      onError(err) {
        reject(err); // no effect once resolved (a body cut short above)
      },
    };
    dispatcher.dispatch(
      {
        origin: u.origin,
        path: u.pathname + u.search,
        method: 'POST',
        headers: opts.headers,
        body: opts.body,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      },
      handler,
    );
  });
}
