// autocannon in its own process: run({url, connections, durationS, method, body, headers}).
import autocannon from 'autocannon';
import { serve } from './common.mjs';

serve({
  async run({ url, connections, durationS, method = 'POST', body, headers = { 'content-type': 'application/json' } }) {
    const r = await autocannon({ url, connections, duration: durationS, method, body, headers, pipelining: 1 });
    return {
      rps: r.requests.average,
      total: r.requests.total,
      ok2xx: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      latency: { mean: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      durationS: r.duration,
    };
  },
});
