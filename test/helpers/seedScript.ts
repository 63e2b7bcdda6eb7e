import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface SeedRun { code: number; stdout: string; stderr: string }

/**
 * `node scripts/seed.js <args>` (the `seed:*` and `admin:*` npm scripts) as a child process, with only the given
 * environment beside PATH and HOME. stdin is not a terminal: the script may not prompt.
 */
export function runSeedScript(args: string[], env: Record<string, string>): Promise<SeedRun> {
  const childEnv = { PATH: process.env.PATH!, HOME: process.env.HOME || os.tmpdir(), ...env };
  return new Promise(resolve => {
    execFile(process.execPath, [ path.join(ROOT, 'scripts', 'seed.js'), ...args ], { cwd: ROOT, env: childEnv, timeout: 60_000 },
      (err: any, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}
