// The webhook POST: answered by its status code, body discarded, errors keep their code.
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { postStatus } from '../../src/net/post.js';

describe('postStatus', () => {
  let server: http.Server | undefined;
  const agent = new Agent({ connections: 2 });
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  const serve = async (handler: http.RequestListener): Promise<string> => {
    server = http.createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('sends the body and headers, and answers the status of each response on one connection', async () => {
    const seen: { path: string; body: string; token: string | undefined; type: string | undefined }[] = [];
    const origin = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ path: req.url!, body, token: req.headers['z-api-token'] as string, type: req.headers['content-type'] });
        res.statusCode = req.url === '/fail?x=1' ? 503 : 200;
        res.end('{"ok":true}');
      });
    });
    const headers = { 'content-type': 'application/json', 'z-api-token': 'T' };
    expect(await postStatus(agent, `${origin}/hook`, { headers, body: '{"a":1}', timeoutMs: 2000 })).toBe(200);
    expect(await postStatus(agent, `${origin}/fail?x=1`, { headers, body: '{"a":2}', timeoutMs: 2000 })).toBe(503);
    expect(seen).toEqual([
      { path: '/hook', body: '{"a":1}', token: 'T', type: 'application/json' },
      { path: '/fail?x=1', body: '{"a":2}', token: 'T', type: 'application/json' },
    ]);
  });

  it('answers the status of a response whose body never ends, without reading it all', async () => {
    const origin = await serve((req, res) => {
      req.resume();
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const more = (): void => void (res.destroyed ? undefined : res.write(chunk) ? setTimeout(more, 1) : res.once('drain', more)); // endless
      res.on('error', () => undefined);
      more();
    });
    expect(await postStatus(agent, `${origin}/big`, { headers: {}, body: '{}', timeoutMs: 2000 })).toBe(200);
  });

  it('rejects with the error code when nobody listens, and on a header timeout', async () => {
    const err = await postStatus(agent, 'http://127.0.0.1:1/x', { headers: {}, body: '{}', timeoutMs: 2000 }).catch((e) => e);
    expect(err.code).toBe('ECONNREFUSED');
    const origin = await serve((req) => req.resume()); // never answers
    const slow = await postStatus(agent, `${origin}/slow`, { headers: {}, body: '{}', timeoutMs: 200 }).catch((e) => e);
    expect(slow.code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });
});
