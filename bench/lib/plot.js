'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./profile');
const { log } = require('./util');

const COLORS = [ '#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd' ];
const esc = text => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceMax(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [ 1, 2, 2.5, 5, 10 ]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/**
 * A line chart as SVG. series: [{ name, points: [[x, y]], dashed }]. xLog puts x on a log10 scale.
 */
function lineChart({ title, subtitle, xLabel, yLabel, series, xLog = false, xTicks }) {
  const width = 900;
  const height = 520;
  const m = { left: 80, right: 80, top: 70, bottom: 70 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xs = series.flatMap(s => s.points.map(p => p[0]));
  const ys = series.flatMap(s => s.points.map(p => p[1]));
  const tx = xLog ? Math.log10 : v => v;
  const xMin = xLog ? Math.min(...xs) : 0;
  const xMax = Math.max(...xs);
  const yMax = niceMax(Math.max(...ys) * 1.1);
  const X = v => m.left + ((tx(v) - tx(xMin)) / ((tx(xMax) - tx(xMin)) || 1)) * plotW;
  const Y = v => m.top + plotH - (v / yMax) * plotH;
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="30" text-anchor="middle" font-size="20" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) parts.push(`<text x="${width / 2}" y="52" text-anchor="middle" font-size="13" fill="#555">${esc(subtitle)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i;
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 8}" y="${Y(v) + 4}" text-anchor="end" font-size="12">${+v.toFixed(2)}</text>`);
  }
  let lastLabelX = -Infinity;
  for (const v of xTicks || [ ...new Set(xs) ]) {
    parts.push(`<line x1="${X(v)}" x2="${X(v)}" y1="${m.top}" y2="${m.top + plotH}" stroke="#f0f0f0"/>`);
    // Ticks closer than the width of a label keep their line but not their text.
    if (X(v) - lastLabelX < 45) continue;
    lastLabelX = X(v);
    parts.push(`<text x="${X(v)}" y="${m.top + plotH + 20}" text-anchor="middle" font-size="12">${v.toLocaleString('en-US')}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 20}" text-anchor="middle" font-size="14">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(22 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="14">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = s.color || COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`);
    if (!s.dashed) {
      let lastLabelX = -Infinity;
      for (const p of s.points) {
        parts.push(`<circle cx="${X(p[0])}" cy="${Y(p[1])}" r="4.5" fill="${color}"/>`);
        // Values of alternate series go above and below their points so that close lines stay legible.
        const dy = i % 2 ? -8 : 16;
        if (X(p[0]) - lastLabelX < 34) continue;
        lastLabelX = X(p[0]);
        parts.push(`<text x="${X(p[0]) + 6}" y="${Y(p[1]) + dy}" font-size="11" fill="${color}">${+p[1].toFixed(1)}</text>`);
      }
    }
    const ly = m.top + 18 + i * 20;
    parts.push(`<line x1="${m.left + 14}" x2="${m.left + 44}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`);
    parts.push(`<text x="${m.left + 50}" y="${ly + 4}" font-size="13">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function findChromium() {
  const candidates = [ process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome' ].filter(Boolean);
  return candidates.find(file => fs.existsSync(file));
}

/** Renders each SVG to a PNG with playwright-core and the system's Chromium; keeps the SVG if it cannot. */
async function renderPngs(charts) {
  const executablePath = findChromium();
  const written = [];
  if (!executablePath) {
    log('no Chromium found (apt-get install chromium, or set CHROMIUM_PATH): writing SVG plots only');
  }
  let browser;
  try {
    if (executablePath) {
      const { chromium } = require(require.resolve('playwright-core', { paths: [ ROOT ] }));
      browser = await chromium.launch({
        executablePath,
        args: [ '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run' ],
      });
    }
    for (const chart of charts) {
      const svg = lineChart(chart);
      if (browser) {
        const page = await browser.newPage({ viewport: { width: 900, height: 520 }, deviceScaleFactor: 1 });
        await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
        await page.screenshot({ path: chart.file, clip: { x: 0, y: 0, width: 900, height: 520 } });
        await page.close();
      } else {
        chart.file = chart.file.replace(/\.png$/, '.svg');
        fs.writeFileSync(chart.file, svg);
      }
      written.push({ title: chart.title, file: path.relative(path.join(ROOT, 'docs'), chart.file) });
    }
  } catch (err) {
    log(`plotting failed: ${err.message}`);
  } finally {
    if (browser) await browser.close();
  }
  return written;
}

module.exports = { lineChart, renderPngs };
