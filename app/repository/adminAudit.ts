import { Sequelize, Transaction } from 'sequelize';
import { selectRows, txRun } from '../lib/rawQuery';

// `admin_audit_log`: one row per admin write, done or refused. Append-only: nothing here updates or
// deletes a row.

export interface AuditEntry {
  adminId: number | null;
  adminUsername: string;
  action: string;
  targetType: string;
  targetId: number | null;
  outcome: 'ok' | 'denied' | 'failed';
  before?: unknown;
  after?: unknown;
  ip: string;
}

export interface AuditRow {
  id: number; admin_id: number | null; admin_username: string; action: string; target_type: string; target_id: number | null;
  outcome: string; before_json: string | null; after_json: string | null; ip: string; create_time: string | Date;
}

export interface AuditFilter { adminUsername?: string; action?: string; targetId?: number; outcome?: string; beforeId?: number }

/** JSON of a before/after value, capped (a row never grows without bound). */
function json(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text.length > 4000 ? text.slice(0, 4000) : text;
}

export async function appendAudit(sequelize: Sequelize, transaction: Transaction, entry: AuditEntry, now = new Date()): Promise<void> {
  await txRun(sequelize, transaction,
    'INSERT INTO admin_audit_log (admin_id, admin_username, action, target_type, target_id, outcome, before_json, after_json, ip, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [ entry.adminId, entry.adminUsername.slice(0, 50), entry.action, entry.targetType, entry.targetId, entry.outcome, json(entry.before), json(entry.after), entry.ip.slice(0, 45), now ]);
}

/** Newest first, keyset on id. */
export async function listAudit(sequelize: Sequelize, filter: AuditFilter, limit: number): Promise<AuditRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.adminUsername) { where.push('admin_username = ?'); values.push(filter.adminUsername); }
  if (filter.action) { where.push('action = ?'); values.push(filter.action); }
  if (filter.targetId) { where.push('target_id = ?'); values.push(filter.targetId); }
  if (filter.outcome) { where.push('outcome = ?'); values.push(filter.outcome); }
  if (filter.beforeId) { where.push('id < ?'); values.push(filter.beforeId); }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  return selectRows<AuditRow>(sequelize, `SELECT * FROM admin_audit_log ${clause} ORDER BY id DESC LIMIT ?`, [ ...values, limit ]);
}
