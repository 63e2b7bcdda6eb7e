import { Sequelize, Transaction } from 'sequelize';
import { selectOne, selectRows, txRows, txRun } from '../lib/rawQuery';

// `admin_users`: the console's accounts (issue 20), apart from chat users.

export type AdminRole = 'owner' | 'operator' | 'viewer';
export const ADMIN_ROLES: readonly AdminRole[] = [ 'owner', 'operator', 'viewer' ];

export interface AdminUserRow { id: number; username: string; password: string; role: AdminRole; status: number }

const COLUMNS = 'id, username, password, role, status';

function shaped(row: AdminUserRow | null): AdminUserRow | null {
  return row && { ...row, id: Number(row.id), status: Number(row.status) };
}

export async function findAdminByUsername(sequelize: Sequelize, username: string): Promise<AdminUserRow | null> {
  return shaped(await selectOne<AdminUserRow>(sequelize, `SELECT ${COLUMNS} FROM admin_users WHERE username = ? LIMIT 1`, [ username ]));
}

export async function findAdminById(sequelize: Sequelize, id: number): Promise<AdminUserRow | null> {
  return shaped(await selectOne<AdminUserRow>(sequelize, `SELECT ${COLUMNS} FROM admin_users WHERE id = ? LIMIT 1`, [ id ]));
}

export async function listAdmins(sequelize: Sequelize): Promise<Array<Omit<AdminUserRow, 'password'> & { last_login: string | null }>> {
  return selectRows(sequelize, 'SELECT id, username, role, status, last_login FROM admin_users ORDER BY id LIMIT 500', []);
}

export async function recordAdminLogin(sequelize: Sequelize, transaction: Transaction, id: number, ip: string, now: Date): Promise<void> {
  await txRun(sequelize, transaction, 'UPDATE admin_users SET last_login = ?, last_login_ip = ?, update_time = ? WHERE id = ?', [ now, ip.slice(0, 45), now, id ]);
}

export async function insertAdmin(sequelize: Sequelize, transaction: Transaction, admin: { username: string; password: string; role: AdminRole }, now: Date): Promise<number> {
  const { insertId } = await txRun(sequelize, transaction,
    'INSERT INTO admin_users (username, password, role, status, create_time, update_time) VALUES (?, ?, ?, 1, ?, ?)', [ admin.username, admin.password, admin.role, now, now ]);
  return insertId;
}

export async function setAdminStatus(sequelize: Sequelize, transaction: Transaction, id: number, status: 0 | 1, now: Date): Promise<void> {
  await txRun(sequelize, transaction, 'UPDATE admin_users SET status = ?, update_time = ? WHERE id = ?', [ status, now, id ]);
}

export async function findAdminByIdIn(sequelize: Sequelize, transaction: Transaction, id: number): Promise<AdminUserRow | null> {
  return shaped((await txRows<AdminUserRow>(sequelize, transaction, `SELECT ${COLUMNS} FROM admin_users WHERE id = ?`, [ id ]))[0] ?? null);
}
