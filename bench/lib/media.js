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
const { log, sleep, percentile, round } = require('./util');

const now = () => performance.now();
const MB = 1024 * 1024;

function mediaPlan(quick) {
  return { sizeBytes: 10 * MB, sequential: quick ? 3 : 10, concurrent: 20 };
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

  await sleep(1000);
  const pids = app.workerPids();
  const rss = () => pids.reduce((sum, pid) => sum + rssKb(pid), 0);
  const baselineKb = rss();
  let peakKb = baselineKb;
  const sampler = setInterval(() => { peakKb = Math.max(peakKb, rss()); }, 50);
  const t0 = now();
  const burst = await Promise.all(Array.from({ length: plan.concurrent }, (_, i) => upload(port, tokens[ids[10 + i]], file)));
  const burstSeconds = (now() - t0) / 1000;
  clearInterval(sampler);
  peakKb = Math.max(peakKb, rss());
  const burstOk = burst.filter(r => r.status === 200);
  const burstTimes = burstOk.map(r => r.ms).sort((a, b) => a - b);
  return {
    sizeMb,
    sequential: {
      uploads: plan.sequential, ok: seqOk.length, failed: sequential.filter(r => r.status !== 200).map(r => r.status || r.error),
      mbPerSecond: seqSeconds ? round((seqOk.length * sizeMb) / seqSeconds, 1) : null,
      p50: round(percentile(seqTimes, 50)), max: round(seqTimes[seqTimes.length - 1]),
    },
    concurrent: {
      uploads: plan.concurrent, ok: burstOk.length, failed: burst.filter(r => r.status !== 200).map(r => r.status || r.error),
      seconds: round(burstSeconds, 2), mbPerSecond: round((burstOk.length * sizeMb) / burstSeconds, 1),
      p50: round(percentile(burstTimes, 50)), p99: round(percentile(burstTimes, 99)),
      workerRssBaselineMb: round(baselineKb / 1024, 1), workerRssPeakMb: round(peakKb / 1024, 1), workerRssGrowthMb: round((peakKb - baselineKb) / 1024, 1),
    },
  };
}

function mediaMarkdown(m) {
  const s = m.sequential;
  const c = m.concurrent;
  return [
    `Media: ${m.sizeMb} MB video uploads (POST /api/chat/uploadStreamSingleToServerDiy/chatVideos, multipart, from the bench's process).`,
    '',
    `- One after another: ${s.ok}/${s.uploads} answered 200, **${s.mbPerSecond} MB/s** (p50 ${s.p50} ms per upload, max ${s.max} ms)${s.failed.length ? `; failed: ${s.failed.join(', ')}` : ''}.`,
    `- ${c.uploads} at once: ${c.ok}/${c.uploads} answered 200 in ${c.seconds} s (${c.mbPerSecond} MB/s together; p50 ${c.p50} ms, p99 ${c.p99} ms per upload)${c.failed.length ? `; failed: ${c.failed.join(', ')}` : ''}. App workers' resident memory (sum, sampled every 50 ms): ${c.workerRssBaselineMb} MB before → peak ${c.workerRssPeakMb} MB: **+${c.workerRssGrowthMb} MB** for ${round(c.uploads * m.sizeMb, 0)} MB in flight.`,
  ].join('\n');
}

function mediaTargets(m) {
  const c = m.concurrent;
  const inFlight = c.uploads * m.sizeMb;
  return [
    { target: `media: ${m.sizeMb} MB video upload throughput`, measured: `${m.sequential.mbPerSecond} MB/s one at a time; ${c.mbPerSecond} MB/s with ${c.uploads} at once`, result: 'measured' },
    {
      target: `media: resident memory flat during ${c.uploads} concurrent uploads (streaming)`,
      measured: `+${c.workerRssGrowthMb} MB over ${c.workerRssBaselineMb} MB with ${inFlight} MB in flight`,
      // Flat: the growth is a small fraction of what holding the files would take.
      result: c.workerRssGrowthMb < inFlight / 4 && c.ok === c.uploads ? 'met' : '**missed**',
    },
  ];
}

module.exports = { mediaPlan, runMedia, mediaMarkdown, mediaTargets };
