'use strict';
/**
 * The media rows of `npm run bench` (`--only=media`, or after the group rows of a normal run), on the
 * messaging server and its users (sessions minted by bench/lib/messaging.js):
 *
 *   - a 10 MB video (an MP4 `ftyp` header, which the server's content check reads, then 10 MB of
 *     incompressible bytes) uploaded `sequential` times one after the other to
 *     POST /api/chat/uploadStreamSingleToServerDiy/chatVideos: MB/s and time per upload;
 *   - 20 such uploads at once, each from another user (the per-user upload limit stays out of the way),
 *     while the app workers' resident memory (VmRSS, summed) is sampled every 50 ms: the peak over the
 *     baseline before the burst. Streaming keeps it flat; a server that held files whole would grow by
 *     ~20 × 10 MB.
 */
const fs = require('node:fs');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { randomBytes } = require('node:crypto');
const { log, percentile, round } = require('./util');
const { settledWorkerMemory } = require('./messaging');

const now = () => performance.now();
const MB = 1024 * 1024;

function mediaPlan(quick) {
  // The burst runs with 10 MB files, then with 3 times larger ones: memory that follows the file size means
  // files are held whole; memory that does not is the per-upload cost of streaming (buffers in flight and
  // the garbage V8 lets build up between collections).
  return { sizeBytes: 10 * MB, largeBytes: 30 * MB, sequential: quick ? 3 : 10, concurrent: 20 };
}

/** A body the server takes for an MP4: the `ftyp` box of an ISO file, then incompressible filler. */
function videoBytes(size) {
  const ftyp = Buffer.from([ 0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 2, 0, 0x69, 0x73, 0x6f, 0x6d, 0x69, 0x73, 0x6f, 0x32 ]);
  // A `free` box holding the filler: a well-formed file as far as a parser looks.
  const freeHeader = Buffer.alloc(8);
  freeHeader.writeUInt32BE(size - ftyp.length, 0);
  freeHeader.write('free', 4, 'latin1');
  return Buffer.concat([ ftyp, freeHeader, randomBytes(size - ftyp.length - freeHeader.length) ]);
}

/** One multipart upload, streamed from memory in 64 KB writes; answers status, time and the stored URL. */
function upload(port, token, file) {
  const boundary = `eggchatbench${Date.now().toString(36)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + file.length + tail.length;
  return new Promise(resolve => {
    const t0 = now();
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/chat/uploadStreamSingleToServerDiy/chatVideos', agent: false, timeout: 120_000,
      headers: { token, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length } }, res => {
      const chunks = [];
      res.on('data', chunk => chunks.push(chunk));
      res.on('end', () => {
        let body = null;
        try { body = JSON.parse(Buffer.concat(chunks).toString()); } catch { /* the status tells */ }
        resolve({ status: res.statusCode, ms: now() - t0, url: body && body.data && body.data.url, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', err => resolve({ status: 0, ms: now() - t0, error: err.code || err.message }));
    req.write(head);
    let offset = 0;
    const pump = () => {
      while (offset < file.length) {
        const chunk = file.subarray(offset, offset + 64 * 1024);
        offset += chunk.length;
        if (!req.write(chunk)) return req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

function rssKb(pid) {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** `app` is the EggServer (worker pids), `tokens`/`ids` the messaging users (at least `concurrent + 1`). */
async function runMedia({ app, port, tokens, ids, plan }) {
  const file = videoBytes(plan.sizeBytes);
  const sizeMb = plan.sizeBytes / MB;
  log(`media: ${plan.sequential} sequential uploads of ${sizeMb} MB, then ${plan.concurrent} at once`);
  // One warm-up upload (the route's first request loads its modules).
  const warm = await upload(port, tokens[ids[0]], file);
  if (warm.status !== 200) throw new Error(`the warm-up upload answered ${warm.status || warm.error}: ${JSON.stringify(warm.body)}`);

  const sequential = [];
  for (let i = 0; i < plan.sequential; i++) sequential.push(await upload(port, tokens[ids[1 + (i % 5)]], file));
  const seqOk = sequential.filter(r => r.status === 200);
  const seqTimes = seqOk.map(r => r.ms).sort((a, b) => a - b);
  const seqSeconds = seqTimes.reduce((s, v) => s + v, 0) / 1000;

  const big = await burst(app, port, tokens, ids.slice(10, 10 + plan.concurrent), file);
  const large = await burst(app, port, tokens, ids.slice(10 + plan.concurrent, 10 + 2 * plan.concurrent), videoBytes(plan.largeBytes));
  return {
    sizeMb,
    sequential: {
      uploads: plan.sequential, ok: seqOk.length, failed: sequential.filter(r => r.status !== 200).map(r => r.status || r.error),
      mbPerSecond: seqSeconds ? round((seqOk.length * sizeMb) / seqSeconds, 1) : null,
      p50: round(percentile(seqTimes, 50)), max: round(seqTimes[seqTimes.length - 1]),
    },
    concurrent: { ...big, sizeMb },
    concurrentLarge: { ...large, sizeMb: plan.largeBytes / MB },
  };
}

/** `users.length` uploads of `file` at once, each from another user, with the workers' RSS sampled every 50 ms. */
async function burst(app, port, tokens, users, file) {
  // The baseline with the workers' heaps settled (full GCs): what earlier uploads left as garbage does
  // not count for or against this burst.
  const baselineKb = (await settledWorkerMemory(app)).rssKb;
  const pids = app.workerPids();
  const rss = () => pids.reduce((sum, pid) => sum + rssKb(pid), 0);
  let peakKb = baselineKb;
  const sampler = setInterval(() => { peakKb = Math.max(peakKb, rss()); }, 50);
  const t0 = now();
  const results = await Promise.all(users.map(id => upload(port, tokens[id], file)));
  const seconds = (now() - t0) / 1000;
  clearInterval(sampler);
  peakKb = Math.max(peakKb, rss());
  const ok = results.filter(r => r.status === 200);
  const times = ok.map(r => r.ms).sort((a, b) => a - b);
  return {
    uploads: users.length, ok: ok.length, failed: results.filter(r => r.status !== 200).map(r => r.status || r.error),
    seconds: round(seconds, 2), mbPerSecond: round((ok.length * file.length) / MB / seconds, 1),
    p50: round(percentile(times, 50)), p99: round(percentile(times, 99)),
    workerRssBaselineMb: round(baselineKb / 1024, 1), workerRssPeakMb: round(peakKb / 1024, 1), workerRssGrowthMb: round((peakKb - baselineKb) / 1024, 1),
  };
}

function mediaMarkdown(m) {
  const s = m.sequential;
  const c = m.concurrent;
  const large = m.concurrentLarge;
  return [
    `Media: ${m.sizeMb} MB video uploads (POST /api/chat/uploadStreamSingleToServerDiy/chatVideos, multipart, from the bench's process).`,
    '',
    `- One after another: ${s.ok}/${s.uploads} answered 200, **${s.mbPerSecond} MB/s** (p50 ${s.p50} ms per upload, max ${s.max} ms)${s.failed.length ? `; failed: ${s.failed.join(', ')}` : ''}.`,
    `- ${c.uploads} at once: ${c.ok}/${c.uploads} answered 200 in ${c.seconds} s (${c.mbPerSecond} MB/s together; p50 ${c.p50} ms, p99 ${c.p99} ms per upload)${c.failed.length ? `; failed: ${c.failed.join(', ')}` : ''}. App workers' resident memory (sum, sampled every 50 ms): ${c.workerRssBaselineMb} MB before → peak ${c.workerRssPeakMb} MB: **+${c.workerRssGrowthMb} MB** for ${round(c.uploads * m.sizeMb, 0)} MB in flight; the same burst with ${large.sizeMb} MB files: +${large.workerRssGrowthMb} MB for ${round(large.uploads * large.sizeMb, 0)} MB (${large.ok}/${large.uploads} answered 200, ${large.mbPerSecond} MB/s). Baselines with the workers' heaps settled (full GCs).`,
    '',
    'Streaming means the memory of a burst does not follow the size of the files: holding each file whole would add the difference in flight between the two bursts (what does grow is the garbage of the chunks read, which V8 collects when external memory has grown by a fixed amount, whatever the file size).',
  ].join('\n');
}

function mediaTargets(m) {
  const c = m.concurrent;
  const large = m.concurrentLarge;
  // Held whole, the larger burst would need its extra bytes in flight more than the 10 MB one.
  const sizeDifferenceMb = large.uploads * large.sizeMb - c.uploads * c.sizeMb;
  return [
    { target: `media: ${m.sizeMb} MB video upload throughput`, measured: `${m.sequential.mbPerSecond} MB/s one at a time; ${c.mbPerSecond} MB/s with ${c.uploads} at once`, met: null },
    {
      target: `media: resident memory flat during ${c.uploads} concurrent uploads (streaming)`,
      measured: `+${c.workerRssGrowthMb} MB with ${c.uploads} × ${c.sizeMb} MB, +${large.workerRssGrowthMb} MB with ${large.uploads} × ${large.sizeMb} MB (holding files whole: +${sizeDifferenceMb} MB more)`,
      met: c.ok === c.uploads && large.ok === large.uploads && large.workerRssGrowthMb - c.workerRssGrowthMb < sizeDifferenceMb / 4,
    },
  ];
}

module.exports = { mediaPlan, runMedia, mediaMarkdown, mediaTargets };
