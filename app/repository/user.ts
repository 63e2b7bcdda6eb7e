import { Sequelize, Transaction } from 'sequelize';
import { selectOne, selectRows, txRows, txRun } from '../lib/rawQuery';
import { deleteApplicationsOf } from './friendApply';
import { escapeLike } from '../lib/like';

// The `user` table as the admin console reads and changes it (issue 20). The chat side's own reads
// stay where they are (the token's row in service/token.ts, search in service/userSearch.ts).

export interface AdminUserListRow {
  id: number; uuid: string; username: string; nickname: string; avatar: string; role: string; status: number;
  is_deleted: number; register_time: string | Date | null; last_login: string | Date | null;
}

export interface UserDetailRow extends AdminUserListRow {
  last_login_ip: string | null; register_ip: string | null;
  devicefingeruuid: string | null; uniplatform: string | null; devicemodel: string | null; deviceos: string | null; devicebrand: string | null;
}

export interface UserFilter { role?: string; status?: number; beforeId?: number }

const LIST_COLUMNS = 'id, uuid, username, nickname, avatar, role, status, is_deleted, register_time, last_login';

/** One page, newest first, keyset on the primary key (no OFFSET: a deep page costs what the first does). */
export async function pageUsers(sequelize: Sequelize, filter: UserFilter, limit: number): Promise<AdminUserListRow[]> {
  const where = [ 'is_deleted = 0' ];
  const values: unknown[] = [];
  if (filter.role) { where.push('role = ?'); values.push(filter.role); }
  if (filter.status !== undefined) { where.push('status = ?'); values.push(filter.status); }
  if (filter.beforeId) { where.push('id < ?'); values.push(filter.beforeId); }
  return selectRows(sequelize, `SELECT ${LIST_COLUMNS} FROM \`user\` WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`, [ ...values, limit ]);
}

/**
 * The console's search: an id, or a username starting with the keyword (the chat search's range read on
 * the unique username index, service/userSearch.ts, with disabled accounts and visitors included), or a
 * nickname starting with it (the nickname index's range). Each read is an index range: as fast at 100k+
 * users as at 100.
 */
export async function searchUsers(sequelize: Sequelize, keyword: string, limit: number): Promise<AdminUserListRow[]> {
  const prefix = escapeLike(keyword) + '%';
  const byId = /^\d{1,10}$/.test(keyword) ? await selectRows<AdminUserListRow>(sequelize, `SELECT ${LIST_COLUMNS} FROM \`user\` WHERE id = ? AND is_deleted = 0`, [ Number(keyword) ]) : [];
  const [ byName, byNickname ] = await Promise.all([
    selectRows<AdminUserListRow>(sequelize, `SELECT ${LIST_COLUMNS} FROM \`user\` WHERE username LIKE ? ESCAPE '!' AND is_deleted = 0 ORDER BY username LIMIT ?`, [ prefix, limit ]),
    // The range of the nickname index (migration 20261202000700), in its order.
    selectRows<AdminUserListRow>(sequelize, `SELECT ${LIST_COLUMNS} FROM \`user\` WHERE nickname LIKE ? ESCAPE '!' AND is_deleted = 0 ORDER BY nickname LIMIT ?`, [ prefix, limit ]),
  ]);
  const seen = new Set<number>();
  return [ ...byId, ...byName, ...byNickname ].filter(row => !seen.has(Number(row.id)) && seen.add(Number(row.id))).slice(0, limit);
}

export async function findUserForAdmin(sequelize: Sequelize, id: number, transaction?: Transaction): Promise<UserDetailRow | null> {
  const sql = `SELECT ${LIST_COLUMNS}, last_login_ip, register_ip, devicefingeruuid, uniplatform, devicemodel, deviceos, devicebrand FROM \`user\` WHERE id = ? AND is_deleted = 0`;
  if (transaction) return (await txRows<UserDetailRow>(sequelize, transaction, sql, [ id ]))[0] ?? null;
  return selectOne<UserDetailRow>(sequelize, sql, [ id ]);
}

export async function relationCounts(sequelize: Sequelize, id: number): Promise<{ friends: number; groups: number; messages: number }> {
  const [ friends, groups, messages ] = await Promise.all([
    selectOne<{ n: number }>(sequelize, 'SELECT COUNT(*) AS n FROM goodfriend WHERE user_id = ?', [ id ]),
    selectOne<{ n: number }>(sequelize, 'SELECT COUNT(*) AS n FROM group_user WHERE user_id = ? AND status = 1 AND left_seq IS NULL', [ id ]),
    selectOne<{ n: number }>(sequelize, 'SELECT COUNT(*) AS n FROM message WHERE from_id = ?', [ id ]),
  ]);
  return { friends: Number(friends?.n ?? 0), groups: Number(groups?.n ?? 0), messages: Number(messages?.n ?? 0) };
}

/** Changes the given profile columns (names from the caller's fixed list, never from input). */
export async function updateUserColumns(sequelize: Sequelize, transaction: Transaction, id: number, columns: Partial<Record<'nickname' | 'avatar' | 'password' | 'status', string | number>>, now: Date): Promise<void> {
  const names = Object.keys(columns) as Array<keyof typeof columns>;
  await txRun(sequelize, transaction, `UPDATE \`user\` SET ${names.map(name => `${name} = ?`).join(', ')}, update_time = ? WHERE id = ? AND is_deleted = 0`,
    [ ...names.map(name => columns[name]!), now, id ]);
}

/**
 * Deletes an account in the caller's transaction: friend rows both ways, friend applications both ways,
 * pending group applications; active memberships end at the group's current sequence (as a removal).
 * The user row stays as a tombstone (is_deleted = 1, status = 0): stored messages keep their sender.
 * Answers the groups whose membership changed.
 */
export async function deleteUserCascade(sequelize: Sequelize, transaction: Transaction, id: number, now: Date): Promise<number[]> {
  await txRun(sequelize, transaction, 'DELETE FROM goodfriend WHERE user_id = ? OR friend_id = ?', [ id, id ]);
  await deleteApplicationsOf(sequelize, transaction, id);
  await txRun(sequelize, transaction, 'DELETE FROM group_user WHERE user_id = ? AND status = 2 AND left_seq IS NULL', [ id ]);
  const memberships = await txRows<{ id: number; group_id: number }>(sequelize, transaction, 'SELECT id, group_id FROM group_user WHERE user_id = ? AND left_seq IS NULL', [ id ]);
  for (const row of memberships) {
    await txRun(sequelize, transaction, 'UPDATE `group` SET member_version = member_version + 1 WHERE id = ?', [ row.group_id ]);
    await txRun(sequelize, transaction, 'UPDATE group_user SET left_seq = (SELECT last_seq FROM `group` WHERE id = ?), update_time = ? WHERE id = ?', [ row.group_id, now, row.id ]);
  }
  await txRun(sequelize, transaction, 'UPDATE `user` SET is_deleted = 1, status = 0, update_time = ? WHERE id = ?', [ now, id ]);
  return memberships.map(row => Number(row.group_id));
}

export interface DashboardCounts { users: number; visitors: number; groups: number; messagesToday: number; mediaMessages: number }

export async function dashboardCounts(sequelize: Sequelize, startOfToday: Date): Promise<DashboardCounts> {
  const count = async (sql: string, values: unknown[] = []) => Number((await selectOne<{ n: number }>(sequelize, sql, values))?.n ?? 0);
  const [ users, visitors, groups, messagesToday, mediaMessages ] = await Promise.all([
    count("SELECT COUNT(*) AS n FROM `user` WHERE is_deleted = 0 AND role <> 'visitor'"),
    count("SELECT COUNT(*) AS n FROM `user` WHERE is_deleted = 0 AND role = 'visitor'"),
    count('SELECT COUNT(*) AS n FROM `group` WHERE status <> 0'),
    count('SELECT COUNT(*) AS n FROM message WHERE create_time >= ?', [ startOfToday ]),
    count("SELECT COUNT(*) AS n FROM message WHERE type IN ('image', 'video', 'audio')"),
  ]);
  return { users, visitors, groups, messagesToday, mediaMessages };
}

/** Rows per hour ('YYYY-MM-DD HH', UTC) of a table's time column since `since`. */
export async function perHour(sequelize: Sequelize, table: 'user' | 'message', since: Date): Promise<Array<{ hour: string; n: number }>> {
  const column = table === 'user' ? 'register_time' : 'create_time';
  const hour = sequelize.getDialect() === 'sqlite' ? `substr(${column}, 1, 13)` : `DATE_FORMAT(CONVERT_TZ(${column}, @@session.time_zone, '+00:00'), '%Y-%m-%d %H')`;
  const rows = await selectRows<{ hour: string; n: number }>(sequelize, `SELECT ${hour} AS hour, COUNT(*) AS n FROM \`${table}\` WHERE ${column} >= ? GROUP BY ${hour}`, [ since ]);
  return rows.map(row => ({ hour: String(row.hour), n: Number(row.n) }));
}
