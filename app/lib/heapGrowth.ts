import { setFlagsFromString } from 'node:v8';

/** V8's own ceiling for the factor (4×): a larger setting would only hold more garbage. */
export const MAX_HEAP_GROWING_PERCENT = 300;

/**
 * How far the old generation may grow past what the last full collection kept before V8 collects again.
 * V8's own factor goes up to 4× on a machine with memory to spare, and an idle worker never collects (Node
 * gives V8 no idle notifications): after a burst each worker keeps that garbage resident until the next
 * one. Measured by the bench (docs/BENCHMARKS.md, "The old generation's growth capped", MariaDB + Redis, rows
 * without growth): 238–311 MB per worker at the end of the rows with V8's factor (peak 308–375 MB), 160–167 MB
 * at 20 % (peak 224–230 MB); worker CPU per request and per message within the runs' noise.
 * V8 reads the flag whenever it sets the next limit (heap-controller.cc), so setting it at boot is enough.
 * 0 leaves V8's own factor.
 */
export function limitHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > MAX_HEAP_GROWING_PERCENT) {
    throw new Error(`HEAP_GROWING_PERCENT must be an integer from 0 to ${MAX_HEAP_GROWING_PERCENT}, got ${percent}`);
  }
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
