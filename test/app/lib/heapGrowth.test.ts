import * as assert from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { app } from 'egg-mock/bootstrap';
import { limitHeapGrowth, MAX_HEAP_GROWING_PERCENT } from '../../../app/lib/heapGrowth';

/**
 * app/lib/heapGrowth.ts: the old generation's growth past its live data is capped, so a worker does not
 * keep up to 4× its live heap in garbage after a burst. Measured in real processes (test/fixtures/heapChurn.ts):
 * the same churn of about 20 MB of live objects, with V8's own factor and with the default 20 %.
 */
describe('test/app/lib/heapGrowth.test.ts', () => {
  function largestHeapWith(percent: number): Promise<{ largestHeap: number; heapUsed: number }> {
    const child = spawn(process.execPath, [ '-r', 'ts-node/register/transpile-only', path.join(__dirname, '../../fixtures/heapChurn.ts'), String(percent) ], {
      cwd: app.baseDir, stdio: [ 'ignore', 'pipe', 'inherit' ],
    });
    return new Promise((resolve, reject) => {
      let text = '';
      child.stdout.on('data', chunk => { text += chunk; });
      child.once('exit', code => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`heapChurn ${percent} exited with ${code}`))));
    });
  }

  it('at 20 % a process reserves far less heap for the same churn than with V8\'s own factor', async function() {
    this.timeout(60_000);
    const [ own, capped ] = await Promise.all([ largestHeapWith(0), largestHeapWith(20) ]);
    // Seen here: 242–252 MB with V8's factor, 115 MB at 20 % (136 MB at 50 %).
    assert.ok(capped.largestHeap < own.largestHeap * 0.7, `largest heap ${Math.round(capped.largestHeap / 1e6)} MB at 20 % vs ${Math.round(own.largestHeap / 1e6)} MB with V8's own factor`);
  });

  it('refuses a setting V8 would misread or that only holds more garbage', () => {
    for (const bad of [ -1, 1.5, Number.NaN, MAX_HEAP_GROWING_PERCENT + 1 ]) {
      assert.throws(() => limitHeapGrowth(bad), /HEAP_GROWING_PERCENT must be an integer from 0 to 300/);
    }
  });

  it('the app caps it by default (HEAP_GROWING_PERCENT unset)', () => {
    assert.strictEqual(app.config.chat.heapGrowingPercent, 20);
  });
});
