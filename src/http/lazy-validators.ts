// Route schemas compiled when first needed instead of all before the server listens.
// Fastify compiles every route's validator (Ajv code generation) at start-up: with ~200
// routes that was ~0.8 s of a 1.8–2.6 s start (docs/benchmarks.md F18). Here each validator
// is compiled on its route's first request, and the rest are compiled in idle turns of the
// event loop after start-up (warm()), so a schema that cannot compile is still
// reported at once, in the log, and requests rarely pay for a compile.
import AjvCompiler from '@fastify/ajv-compiler';

type Validate = ((data: unknown, ctx?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type Compile = (route: unknown) => Validate;

/** Shortest interval over which warm() judges how busy the event loop is. */
const WINDOW_MS = 50;

export class LazyValidators {
  private readonly uncompiled = new Set<() => Validate>();

  /** One selector for the whole app, as Fastify's default: it keeps one Ajv per set of shared schemas. */
  private readonly selector = AjvCompiler();

  readonly buildValidator: AjvCompiler.BuildCompilerFromPool = (externalSchemas, ajvOptions) => {
    const compile = this.selector(externalSchemas, ajvOptions) as unknown as Compile;
    const lazy = (route: unknown) => {
      let fn: Validate | undefined;
      const get = (): Validate => {
        if (!fn) {
          this.uncompiled.delete(get);
          fn = compile(route);
        }
        return fn;
      };
      this.uncompiled.add(get);
      const validate: Validate = (data, ctx) => {
        const f = get();
        const ok = f(data, ctx);
        validate.errors = f.errors;
        return ok;
      };
      // Fastify hands Ajv functions (marked by schemaEnv) the parent object, so that type
      // coercion can replace a root value; this stands for an Ajv function.
      validate.schemaEnv = true;
      return validate;
    };
    return lazy as unknown as ReturnType<AjvCompiler.BuildCompilerFromPool>;
  };

  /** Validators not compiled yet. */
  get pending(): number {
    return this.uncompiled.size;
  }

  /**
   * Compile the remaining validators, one per turn of the event loop while the process is
   * otherwise idle: under load each compile (~3 ms) waits until the rest of the process kept
   * the loop less than half busy over the last interval (a restart that resumed a webhook
   * backlog spent ~0.7 s of its first seconds here: docs/benchmarks.md F20). The compiles'
   * own time is not counted as load: counted, a compile and its pause made the loop half busy
   * by themselves and every validator waited a further `busyWaitMs`, so warming ~200
   * validators on an idle server took ~12 s instead of ~1 s (F26). Resolves when done.
   */
  warm(onError: (err: unknown) => void, busyWaitMs = 100): Promise<void> {
    return new Promise((resolve) => {
      // The load is judged over windows of at least WINDOW_MS (a few ms between two steps is
      // too short to tell a busy loop from an idle one), leaving out the compiles' own time.
      let mark = performance.eventLoopUtilization();
      let own = 0;
      let busy = true; // until the first window says otherwise
      const step = () => {
        const now = performance.eventLoopUtilization();
        const { active, idle } = performance.eventLoopUtilization(now, mark);
        if (active + idle >= WINDOW_MS) {
          busy = Math.max(0, active - own) / (active + idle) > 0.5;
          mark = now;
          own = 0;
        }
        if (busy) return void setTimeout(step, busyWaitMs).unref();
        const next = this.uncompiled.values().next();
        if (next.done) return resolve();
        const started = performance.now();
        try {
          next.value();
        } catch (err) {
          this.uncompiled.delete(next.value); // reported once; its route answers the error when called
          onError(err);
        }
        const took = performance.now() - started;
        own += took;
        // A pause as long as the compile (at least 1 ms): warming alone keeps the loop at most half busy.
        setTimeout(step, Math.max(1, took)).unref();
      };
      // The first window starts once the caller's turn is over (its own work is not load).
      setImmediate(() => {
        mark = performance.eventLoopUtilization();
        setTimeout(step, WINDOW_MS).unref();
      });
    });
  }
}
