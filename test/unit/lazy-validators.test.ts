import { describe, expect, it } from 'vitest';
import { LazyValidators } from '../../src/http/lazy-validators.js';

const route = (schema: unknown) => ({ schema, method: 'POST', url: '/x', httpPart: 'body' });
type V = ((data: unknown) => boolean) & { errors?: { instancePath: string }[] | null };

describe('lazy route validators', () => {
  it('compile on first use, validate like Ajv (errors, coercion) and are counted until then', () => {
    const lazy = new LazyValidators();
    const compiler = lazy.buildValidator({}, { customOptions: { coerceTypes: 'array' } }) as unknown as (r: unknown) => V;
    const validate = compiler(route({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }));
    expect(lazy.pending).toBe(1);
    const body = { n: '42' };
    expect(validate(body)).toBe(true);
    expect(body.n).toBe(42); // coerced in place, as Fastify's own validators do
    expect(lazy.pending).toBe(0);
    expect(validate({ n: 'x' })).toBe(false);
    expect(validate.errors?.[0].instancePath).toBe('/n');
    expect(validate({ n: 1 })).toBe(true);
    expect(validate.errors).toBeNull();
  });

  it('warm() compiles the rest after start-up and reports a schema that cannot compile', async () => {
    const lazy = new LazyValidators();
    const compiler = lazy.buildValidator({}, { customOptions: {} }) as unknown as (r: unknown) => V;
    const good = compiler(route({ type: 'string' }));
    compiler(route({ type: 'no-such-type' }));
    const errors: unknown[] = [];
    await lazy.warm((err) => errors.push(err));
    expect(lazy.pending).toBe(0);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/no-such-type|type/);
    expect(good('a')).toBe(true);
  });

  it('warm() waits while the event loop is busy and compiles once it is idle', async () => {
    const lazy = new LazyValidators();
    const compiler = lazy.buildValidator({}, { customOptions: {} }) as unknown as (r: unknown) => V;
    for (let i = 0; i < 3; i++) compiler(route({ type: 'object', properties: { [`p${i}`]: { type: 'string' } } }));
    // Busy: every turn spins 8 ms of 10, for 400 ms.
    const until = performance.now() + 400;
    const warmed = lazy.warm(() => undefined, 20);
    await new Promise<void>((resolve) => {
      const spin = () => {
        const end = performance.now() + 8;
        while (performance.now() < end);
        if (performance.now() < until) setTimeout(spin, 2);
        else resolve();
      };
      spin();
    });
    expect(lazy.pending).toBe(3);
    await warmed;
    expect(lazy.pending).toBe(0);
  });

  it('warm() on an idle loop is not slowed by its own compiles', async () => {
    const lazy = new LazyValidators();
    const compiler = lazy.buildValidator({}, { customOptions: {} }) as unknown as (r: unknown) => V;
    const N = 30;
    for (let i = 0; i < N; i++) {
      const properties = Object.fromEntries(Array.from({ length: 40 }, (_, j) => [`p${i}_${j}`, { type: 'string', maxLength: j + 1 }]));
      compiler(route({ type: 'object', properties }));
    }
    // A long wait after an interval found busy: nothing but warm() runs here, so it should
    // not wait. One wait is allowed (other test files running in parallel can make one
    // window look busy); had a compile and its pause counted as load, it would wait again
    // and again.
    const busyWaitMs = 2000;
    const started = performance.now();
    await lazy.warm(() => undefined, busyWaitMs);
    expect(lazy.pending).toBe(0);
    expect(performance.now() - started).toBeLessThan(2 * busyWaitMs);
  }, 60_000);
});

