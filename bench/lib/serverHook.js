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
 *   - only with BENCH_STALL_DIR set (BENCH_STALLS=1, an experiment: this one has a timer): every garbage
 *     collection of 2 ms or more and every turn of the event loop late by 10 ms or more, appended once a
 *     second to BENCH_STALL_DIR/<pid>.jsonl as [epoch ms at its start, ms, kind] — where the slow
 *     messages of a step come from shows in what the workers were doing at their moment.
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

  const stallDir = process.env.BENCH_STALL_DIR;
  if (stallDir) {
    const { performance, PerformanceObserver, constants } = require('node:perf_hooks');
    const kinds = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'gc-major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'gc-minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'gc-incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'gc-weakcb' };
    let pending = [];
    new PerformanceObserver(list => {
      for (const entry of list.getEntries()) {
        if (entry.duration >= 2) pending.push([ Math.round(performance.timeOrigin + entry.startTime), Math.round(entry.duration * 10) / 10, kinds[entry.detail?.kind] || 'gc' ]);
      }
    }).observe({ entryTypes: [ 'gc' ] });
    const tickMs = 5;
    let last = performance.now();
    let flushAt = last + 1000;
    setInterval(() => {
      const t = performance.now();
      const late = t - last - tickMs;
      if (late >= 10) pending.push([ Math.round(performance.timeOrigin + last + tickMs), Math.round(late * 10) / 10, 'loop' ]);
      last = t;
      if (t >= flushAt && pending.length) {
        flushAt = t + 1000;
        const lines = pending.map(entry => JSON.stringify(entry)).join('\n') + '\n';
        pending = [];
        fs.appendFile(path.join(stallDir, `${process.pid}.jsonl`), lines, () => {});
      }
    }, tickMs).unref();
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
