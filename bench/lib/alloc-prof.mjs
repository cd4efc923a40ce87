// Diagnostic preload (BENCH_NODE_FLAGS="--import …/alloc-prof.mjs"): a sampling heap profile
// of every allocation on the main thread, including objects the GC has already collected
// (what a plain --heap-prof leaves out), written at exit to $BENCH_ALLOC_PROF_FILE (a
// .heapprofile for Chrome DevTools; summarised by `node bench/lib/alloc-summary.mjs <file>`).
// Changes nothing in what the server does, beyond the sampling's own cost.
import fs from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.BENCH_ALLOC_PROF_FILE;
if (file) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: Number(process.env.BENCH_ALLOC_PROF_INTERVAL || 16384),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  process.on('exit', () => {
    // An in-thread session answers synchronously.
    session.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) fs.writeFileSync(file, JSON.stringify(res.profile));
    });
  });
}
