// A webhook receiver on 127.0.0.1 that records every delivery, and can be told to fail
// (HTTP 500) or to go away entirely (connection refused) and come back on the same port.
import type http from 'node:http';
import { LocalServer } from './local-server.js';

export interface Delivery {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
}

export class WebhookReceiver extends LocalServer {
  readonly deliveries: Delivery[] = [];
  /** Every request seen, including the ones answered with an error. */
  readonly attempts: { path: string; status: number; body: any }[] = [];
  /** When set, requests are answered with this status and not recorded as deliveries. */
  failWith: number | null = null;
  /** Fail only requests for which this returns true. */
  failIf: ((body: any) => boolean) | null = null;

  async start(port = 0): Promise<this> {
    await this.listen((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        let body: any = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          /* keep raw */
        }
        const path = req.url ?? '/';
        const fail = this.failWith ?? (this.failIf?.(body) ? 500 : null);
        this.attempts.push({ path, status: fail ?? 200, body });
        if (fail) {
          res.statusCode = fail;
          res.end('fail');
          return;
        }
        this.deliveries.push({ path, headers: req.headers, raw, body, at: Date.now() });
        res.end('ok');
      });
    }, port);
    return this;
  }

  of(type: string, pred: (b: any) => boolean = () => true): Delivery[] {
    return this.deliveries.filter((d) => d.body?.type === type && pred(d.body));
  }
}
