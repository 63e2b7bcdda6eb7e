/**
 * A module loaded on first use instead of when the app starts. Egg loads every service and controller
 * file in every worker, so a module imported at the top of one is resident in all of them whether or not
 * it is ever used there: sharp (libvips), the AWS SDK (only with S3_BUCKET), qrcode and file-type were
 * ~40–60 MB of each worker's RSS at start (docs/BENCHMARKS.md, issue 16's memory target).
 */
export function lazyModule<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}
