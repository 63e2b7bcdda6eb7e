'use strict';
/**
 * Loaded into the eggchat server's processes by the messaging rows only (NODE_OPTIONS=--require …, with
 * BENCH_GC_DIR set). Two things, each on a signal from the bench, nothing otherwise (no timer, no flag
 * that changes the collector or the compiler):
 *
 *   - SIGUSR2: a full garbage collection, then process.memoryUsage() and V8's heap spaces written to
 *     BENCH_GC_DIR/<pid>.json. The bench sends it to the app workers before reading their resident
 *     memory, so "memory per idle socket" compares two settled heaps, not whatever garbage the last
 *     handshakes left. (--expose-gc is set at run time only to get the gc() function.)
 *   - SIGURG, only with BENCH_CPU_PROFILE_DIR set (BENCH_CPU_PROFILE=1): starts V8's sampling CPU profiler
 *     of the JavaScript thread; the next SIGURG stops it and writes BENCH_CPU_PROFILE_DIR/<pid>.cpuprofile
 *     (--cpu-prof is not allowed in NODE_OPTIONS, and would profile the whole life of the process).
 *   - SIGWINCH, only with BENCH_HEAP_SNAPSHOT_DIR set (BENCH_HEAP_SNAPSHOT=1): a heap snapshot written to
 *     BENCH_HEAP_SNAPSHOT_DIR/<pid>-<n>.heapsnapshot (then <pid>-<n>.done), n counting from 1.
 */
const dir = process.env.BENCH_GC_DIR;
if (dir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const v8 = require('node:v8');
  const vm = require('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  process.on('SIGUSR2', () => {
    gc({ type: 'minor' });
    gc();
    // A second pass after the event loop turned once: weak callbacks and finalizers of the first ran.
    setTimeout(() => {
      gc();
      const usage = process.memoryUsage();
      // Where the heap's reserved pages are (a young generation grown by a burst stays grown after a GC).
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map(space => [ space.space_name, { size: space.space_size, used: space.space_used_size }]));
      try {
        fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify({ at: Date.now(), ...usage, spaces }));
      } catch {
        // The bench directory is gone: nothing to report to.
      }
    }, 100);
  });

  const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR;
  if (snapshotDir) {
    let taken = 0;
    process.on('SIGWINCH', () => {
      taken += 1;
      const file = path.join(snapshotDir, `${process.pid}-${taken}.heapsnapshot`);
      v8.writeHeapSnapshot(file);
      fs.writeFileSync(file.replace(/\.heapsnapshot$/, '.done'), '');
    });
  }

  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  if (profileDir) {
    const inspector = require('node:inspector');
    let session = null;
    process.on('SIGURG', () => {
      if (!session) {
        session = new inspector.Session();
        session.connect();
        session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
        return;
      }
      const current = session;
      session = null;
      current.post('Profiler.stop', (err, result) => {
        if (!err) fs.writeFileSync(path.join(profileDir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
        current.disconnect();
      });
    });
  }
}
