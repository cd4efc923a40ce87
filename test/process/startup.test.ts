// The real process: invalid configuration stops start-up naming the variable; a first
// start prints a generated partner token once; SIGTERM shuts down cleanly.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/server.js';

const MAIN = path.resolve('dist/main.js');

function run(env: Record<string, string>, untilLine?: RegExp) {
  if (!fs.existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` (npm test does it)');
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const seen = untilLine
    ? new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (untilLine.test(out)) {
            clearInterval(t);
            resolve();
          }
        }, 20);
        void exited.then(() => {
          clearInterval(t);
          if (!untilLine.test(out)) reject(new Error(`exited before ${untilLine}: ${out}`));
          else resolve();
        });
      })
    : Promise.resolve();
  return { child, exited, seen, output: () => out };
}

describe('process start-up', () => {
  it('refuses an invalid variable with a message naming it', async () => {
    const p = run({ OPENZAP_DATA_DIR: tempDir(), OPENZAP_SEND_GAP_MS: 'soon' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/OPENZAP_SEND_GAP_MS/);
  });

  it('prints a generated partner token once, then never again; SIGTERM exits 0', async () => {
    const dir = tempDir();
    const env = { OPENZAP_DATA_DIR: dir, OPENZAP_PORT: '0', OPENZAP_HOST: '127.0.0.1', OPENZAP_LOG_LEVEL: 'warn' };
    const first = run(env, /listening on/);
    await first.seen;
    const token = /partner token[^:]*: (\S+)/.exec(first.output())?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = run(env, /listening on/);
    await second.seen;
    expect(second.output()).not.toMatch(/partner token/);
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(second.output())![1];
    const res = await fetch(`http://127.0.0.1:${port}/instances?page=1&pageSize=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(201);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'sqlite' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // The token itself is not in the database, only its hash.
    const dbFile = fs.readFileSync(path.join(dir, 'openzap.db'));
    expect(dbFile.includes(Buffer.from(token!))).toBe(false);
  });

  it('closes the store to the end when nothing else keeps the process alive (its SQLite threads wait)', async () => {
    const dir = tempDir();
    const script = `
      const { openStore } = await import(${JSON.stringify(path.resolve('dist/store/db.js'))});
      const store = await openStore({ dataDir: ${JSON.stringify(dir)}, databaseUrl: null });
      await store.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Before the fix the threads were unreferenced while closing: exit code 13, "closed" never printed.
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: 'closed' });
  });
  it('starts without loading Baileys until an instance needs it (a third of start-up)', async () => {
    const dist = (f: string) => JSON.stringify(path.resolve('dist', f));
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      // libsignal is CommonJS, loaded only by Baileys: its presence in the require cache shows Baileys was loaded.
      const baileysLoaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/libsignal/'));
      const { loadConfig } = await import(${dist('config.js')});
      const { startOpenZap } = await import(${dist('server.js')});
      const oz = await startOpenZap(loadConfig({ OPENZAP_DATA_DIR: ${JSON.stringify(tempDir())}, OPENZAP_LOG_LEVEL: 'silent' }), { listen: false });
      const atStart = baileysLoaded();
      await oz.close();
      await import(${dist('engines/baileys/engine.js')});
      console.log(JSON.stringify({ atStart, afterImport: baileysLoaded() }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: JSON.stringify({ atStart: false, afterImport: true }) });
  });
});
