'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./profile');
const { messagingMarkdown } = require('./messaging');
const { groupsMarkdown } = require('./groups');
const { mediaMarkdown } = require('./media');

/** The rows measured on the socket server (messaging, groups, media), those that ran. */
function socketRowsMarkdown(report) {
  const parts = [];
  if (report.messaging) parts.push(messagingMarkdown(report.messaging, markdownTable));
  if (report.groups) parts.push(groupsMarkdown(report.groups, markdownTable));
  if (report.media) parts.push(mediaMarkdown(report.media));
  return parts.join('\n\n');
}

const fmt = (value, digits = 1) => (value === null || value === undefined ? '—' : Number(value).toFixed(digits));
const ratio = row => (row.bare && row.bare.rps ? row.rps / row.bare.rps : null);

const HEADER = [ 'scenario', 'conn', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'timeouts', 'bare req/s', 'ratio', 'CPU ms/req: node', 'db', 'redis' ];

function rowCells(row) {
  const r = ratio(row);
  return [
    row.label, String(row.connections), fmt(row.rps), fmt(row.p50, 2), fmt(row.p99, 2),
    String(row.errors + (row.warmupErrors || 0)), String(row.timeouts), row.bare ? fmt(row.bare.rps) : '—', r === null ? '—' : `${(r * 100).toFixed(1)} %`,
    ...[ 'workers', 'db', 'redis' ].map(group => (row.cpuMsPerRequest && row.cpuMsPerRequest[group] ? fmt(row.cpuMsPerRequest[group], 2) : '—')),
  ];
}

/** The table on the terminal. */
function printTable(rows) {
  printGrid(HEADER, rows.map(rowCells));
}

/** Any table on the terminal: the first column left-aligned, the others right-aligned. */
function printGrid(header, rows) {
  const cells = [ header, ...rows.map(row => row.map(cell => String(cell).replace(/\*\*/g, ''))) ];
  const widths = header.map((_, i) => Math.max(...cells.map(line => [ ...line[i] ].length)));
  const line = values => values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log('\n' + line(header));
  console.log(widths.map(w => '-'.repeat(w)).join('  '));
  for (const row of cells.slice(1)) console.log(line(row));
  console.log('');
}

function markdownTable(header, rows) {
  return [ `| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map(r => `| ${r.join(' | ')} |`) ].join('\n');
}

function targetLines(targets) {
  return markdownTable([ 'target', 'measured', 'result' ], targets.map(t => [ t.target, t.measured, t.met === null ? 'see note' : t.met ? 'met' : '**missed**' ]));
}

function growthMarkdown(growth) {
  const parts = [];
  if (growth.friends && growth.friends.length) {
    parts.push('goodfriendlist, one client (`?limit=5000`, warm name cache):\n');
    parts.push(markdownTable([ 'friends', 'p50 ms', 'p99 ms', 'mean ms', 'req/s', 'bytes/response' ],
      growth.friends.map(p => [ String(p.friends), fmt(p.p50, 2), fmt(p.p99, 2), fmt(p.mean, 2), fmt(p.rps), String(p.bytesPerResponse) ])));
    if (growth.friendsFit) {
      parts.push(`\nLeast-squares fit of p50: **${fmt(growth.friendsFit.intercept, 2)} ms + ${fmt(growth.friendsFit.slope * 1000, 2)} ms per 1,000 friends** (r² = ${fmt(growth.friendsFit.r2, 3)}).`);
    }
  }
  if (growth.search && growth.search.length) {
    parts.push('\nsearchUser (exact and prefix hits) by table size:\n');
    parts.push(markdownTable([ 'users', 'kind', 'conn', 'p50 ms', 'p99 ms', 'req/s', 'errors' ],
      growth.search.map(p => [ p.users.toLocaleString('en-US'), p.kind, String(p.connections), fmt(p.p50, 2), fmt(p.p99, 2), fmt(p.rps), String(p.errors) ])));
    if (growth.explain) {
      parts.push('\nQuery plans (EXPLAIN) at each size:\n');
      for (const [ users, plans ] of Object.entries(growth.explain)) {
        parts.push(`- ${Number(users).toLocaleString('en-US')} users — exact: \`${plans.exact}\`; prefix: \`${plans.prefix}\``);
      }
    }
  }
  return parts.join('\n');
}

/** The generated section of docs/BENCHMARKS.md for this profile and mode. */
function markdownSection(report) {
  const { meta } = report;
  const lines = [];
  lines.push(`### ${meta.profileLabel} — ${meta.mode} run, ${meta.date}`);
  lines.push('');
  lines.push(`- machine: ${meta.machine.cpu}, ${meta.machine.cores} cores, ${meta.machine.memoryGb} GB RAM, ${meta.machine.os}; Node.js ${meta.machine.node}`);
  lines.push(`- database: ${meta.database}${meta.redis ? `; Redis ${meta.redis}` : ''}${meta.commit ? `; server built from ${meta.commit}` : ''}`);
  if (!report.rows.length && (report.messaging || report.groups || report.media)) return messagingOnlySection(report, lines);
  lines.push(`- server: egg-scripts, EGG_SERVER_ENV=prod${meta.startEnv ? ` ${meta.startEnv} (as npm start sets it)` : ''}, ${meta.workers} workers${meta.serverNodeOptions ? ` (experiment: NODE_OPTIONS=${meta.serverNodeOptions})` : ''}${meta.serverEnv ? ` (experiment: ${meta.serverEnv})` : ''}${meta.serverArgs ? ` (experiment: egg-scripts ${meta.serverArgs})` : ''}; bare Egg app: ${meta.workers} workers; autocannon ${meta.autocannon} in the same process as the seeding, on the same machine`);
  lines.push(`- data: ${meta.users.toLocaleString('en-US')} users; load average before the run: ${meta.loadBefore} (after it, with the bench's own load: ${meta.loadAfter}); whole run: ${meta.elapsedSeconds} s`);
  lines.push(`- each row: ${meta.warmupSeconds} s warm-up, then ${meta.durationSeconds} s measured; the bare ceiling ${meta.barePerRow ? `measured right before each row with the same connections (${meta.bareSeconds} s)` : `measured once per connection count at the start (${meta.bareSeconds} s)`}`);
  lines.push('');
  lines.push(markdownTable(HEADER, report.rows.map(rowCells)));
  lines.push('');
  if (report.cold) {
    lines.push(`First goodfriendlist requests with 2,000 friends after start (empty name cache in the worker that answers): ${report.cold.map(ms => fmt(ms, 1) + ' ms').join(', ')}.`);
    lines.push('');
  }
  if (report.memory) {
    lines.push(`Resident memory per worker right after the last run: ${report.memory.map(m => `${fmt(m.rssMb)} MB`).join(', ')}` +
      (report.memorySettled ? `; 5 s later: ${report.memorySettled.map(m => `${fmt(m.rssMb)} MB`).join(', ')}; peak during the run (VmHWM): ${report.memorySettled.map(m => `${fmt(m.peakRssMb)} MB`).join(', ')}` : '') +
      `. Server error log: ${report.serverErrors} ERROR line(s).`);
    lines.push('');
  }
  lines.push('CPU ms/req: CPU time used per request by the eggchat workers, by the database server and by Redis during the measured seconds (from /proc; the database and Redis figures include anything else using them at the time); the bare ceiling used ' +
    (report.rows.find(row => row.bare && row.bare.cpuMsPerRequest) ? `${fmt(report.rows.find(row => row.bare && row.bare.cpuMsPerRequest).bare.cpuMsPerRequest.workers, 3)} ms of worker CPU per request.` : 'n/a.'));
  lines.push('');
  if (report.explain) {
    lines.push(`Query plans: search exact \`${report.explain.exact}\`; prefix \`${report.explain.prefix}\`; goodfriendlist \`${report.explain.friendList}\`.`);
    lines.push('');
  }
  if (report.messaging || report.groups || report.media) {
    lines.push('#### Messaging, groups, media');
    lines.push('');
    lines.push(socketRowsMarkdown(report));
    lines.push('');
  }
  lines.push(targetLines(report.targets));
  if (report.growth) {
    lines.push('');
    lines.push('#### Cost growth');
    lines.push('');
    lines.push(growthMarkdown(report.growth));
    if (report.plots && report.plots.length) {
      lines.push('');
      for (const plot of report.plots) lines.push(`![${plot.title}](${plot.file})`);
    }
  }
  return lines.join('\n');
}

/** The section of a run of the messaging rows alone (`--only=messaging`). */
function messagingOnlySection(report, lines) {
  const { meta } = report;
  lines.push(`- server: egg-scripts, EGG_SERVER_ENV=prod${meta.startEnv ? ` ${meta.startEnv} (as npm start sets it)` : ''}, ${meta.workers} workers, SEND_LIMIT_10S raised${meta.serverNodeOptions ? ` (experiment: NODE_OPTIONS=${meta.serverNodeOptions})` : ''}${meta.serverEnv ? ` (experiment: ${meta.serverEnv})` : ''}${meta.serverArgs ? ` (experiment: egg-scripts ${meta.serverArgs})` : ''}; load generator: \`ws\` ${meta.ws} and node:http in the bench's one process, on the same machine`);
  lines.push(`- data: ${meta.users.toLocaleString('en-US')} users; load average before the run: ${meta.loadBefore} (after it, with the bench's own load: ${meta.loadAfter}); whole run: ${meta.elapsedSeconds} s`);
  lines.push('');
  lines.push(socketRowsMarkdown(report));
  lines.push('');
  lines.push(targetLines(report.targets));
  return lines.join('\n');
}

function updateDocs(report, docsFile) {
  const key = `${report.meta.profile}:${report.meta.mode}`;
  const start = `<!-- bench:${key}:start -->`;
  const end = `<!-- bench:${key}:end -->`;
  const block = `${start}\n${markdownSection(report)}\n${end}`;
  let text = fs.existsSync(docsFile) ? fs.readFileSync(docsFile, 'utf8') : '# Benchmarks\n\n## Measured figures\n\n';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from !== -1 && to > from) {
    text = text.slice(0, from) + block + text.slice(to + end.length);
  } else {
    const anchor = '<!-- bench:results -->';
    text = text.includes(anchor) ? text.replace(anchor, `${anchor}\n\n${block}`) : `${text.trimEnd()}\n\n${block}\n`;
  }
  fs.writeFileSync(docsFile, text);
  return path.relative(ROOT, docsFile);
}

module.exports = { printTable, printGrid, markdownSection, updateDocs, ratio };
