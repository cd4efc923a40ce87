// An HTTP server of a test on 127.0.0.1: listens on a given or free port, and stops at once
// (open connections dropped), so what talks to it next gets "connection refused".
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class LocalServer {
  port = 0;
  private server: http.Server | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Serve with `handler` on `port` (0: a free one); `port` is then the one listened on. */
  protected async listen(handler: http.RequestListener, port = 0): Promise<void> {
    this.server = http.createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Close the port now (connections in progress are dropped); start() may open it again. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
