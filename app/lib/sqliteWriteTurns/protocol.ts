import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

/** Client → server: give me the turn. */
export const REQUEST = 0x41; // 'A'
/** Client → server: I let go of the turn. */
export const RELEASE = 0x52; // 'R'
/** Server → client: the turn is yours. */
export const GRANT = 0x47; // 'G'
/** Server → holder: someone else waits for the turn. */
export const WAITING = 0x57; // 'W'

/**
 * Where the agent of this cluster serves the turns of one SQLite file: named by the cluster's master (the
 * agent's and every worker's parent process) and by the file, so two clusters, or two files, never share
 * a server. A Unix socket in the temporary directory (its name stays far below the 108-byte limit).
 */
export function writeTurnSocketPath(storage: string): string {
  const digest = createHash('sha1').update(path.resolve(storage)).digest('hex');
  const file = digest.slice(0, 12);
  return path.join(os.tmpdir(), `eggchat-sqlite-turns-${process.ppid}-${file}.sock`);
}

/** The socket path for a cluster configured with `sequelize` options, or null where there are no turns (not a SQLite file, or switched off). */
export function writeTurnSocketPathFor(sequelize: { dialect?: string; storage?: string } | undefined, enabled: boolean): string | null {
  if (!enabled || sequelize?.dialect !== 'sqlite' || !sequelize.storage || sequelize.storage === ':memory:') return null;
  return writeTurnSocketPath(sequelize.storage);
}
