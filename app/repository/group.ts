import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { selectOne, selectRows } from '../lib/rawQuery';

// Raw SQL of the group routes (docs/design/groups.md §1, §7). `group` is an SQL reserved word: always
// quoted. "An active member" is `status = 1 AND left_seq IS NULL`; a pending applicant `status = 2 AND
// left_seq IS NULL`; a row with `left_seq` set belongs to a member who left (kept for delivery, reused
// on re-join: one row per (group_id, user_id)).

export interface GroupRow {
  id: number; uuid: string; user_id: number; name: string; avatar: string; remark: string; invite_confirm: number;
  status: number; order: number; create_time: Date | string; last_seq: number; member_version: number; closed_seq: number | null;
}

export interface MemberRow {
  id: number; group_id: number; user_id: number; nickname: string; avatar: string; status: number; order: number;
  create_time: Date | string; joined_seq: number | null; left_seq: number | null;
}

/** A member row with its user's public columns (groupinfo). */
export interface MemberWithUser extends MemberRow {
  u_id: number; u_username: string; u_avatar: string; u_nickname: string; u_role: string; u_uuid: string;
}

export interface UserRow { id: number; uuid: string; username: string; nickname: string; avatar: string; role: string; status: number; is_deleted: number }

const GROUP_COLUMNS = 'id, uuid, user_id, name, avatar, remark, invite_confirm, status, `order`, create_time, last_seq, member_version, closed_seq';
const MEMBER_COLUMNS = 'id, group_id, user_id, nickname, avatar, status, `order`, create_time, joined_seq, left_seq';
const ACTIVE = 'status = 1 AND left_seq IS NULL';

const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function groupRow(row: any): GroupRow | null {
  if (!row) return null;
  return {
    ...row, id: Number(row.id), user_id: Number(row.user_id), invite_confirm: Number(row.invite_confirm), status: Number(row.status),
    order: Number(row.order), last_seq: Number(row.last_seq), member_version: Number(row.member_version), closed_seq: numberOrNull(row.closed_seq),
    avatar: row.avatar ?? '',
  };
}

function memberRow<T extends MemberRow>(row: any): T {
  return {
    ...row, id: Number(row.id), group_id: Number(row.group_id), user_id: Number(row.user_id), status: Number(row.status),
    order: Number(row.order), joined_seq: numberOrNull(row.joined_seq), left_seq: numberOrNull(row.left_seq),
  };
}

async function select<T extends object>(sequelize: Sequelize, sql: string, values: unknown[], transaction?: Transaction): Promise<T[]> {
  // Inside a transaction the statement must run on its connection; outside, the light path of rawQuery.
  if (transaction) return sequelize.query<T>(sql, { replacements: values, type: QueryTypes.SELECT, transaction });
  return selectRows<T>(sequelize, sql, values);
}

async function first<T extends object>(sequelize: Sequelize, sql: string, values: unknown[], transaction?: Transaction): Promise<T | null> {
  if (!transaction) return selectOne<T>(sequelize, sql, values);
  const [ row ] = await select<T>(sequelize, sql, values, transaction);
  return row ?? null;
}

/** Affected rows of an UPDATE or DELETE. */
async function change(sequelize: Sequelize, transaction: Transaction, sql: string, values: unknown[]): Promise<number> {
  const [ , affected ] = await sequelize.query(sql, { replacements: values, type: QueryTypes.UPDATE, transaction }) as unknown as [ unknown, number ];
  return Number(affected);
}

/** The group, whatever its status. */
export async function findGroup(sequelize: Sequelize, id: number, transaction?: Transaction): Promise<GroupRow | null> {
  return groupRow(await first(sequelize, `SELECT ${GROUP_COLUMNS} FROM \`group\` WHERE id = ?`, [ id ], transaction));
}

/**
 * Takes the group's row lock for a membership change and bumps `member_version` (docs/design/groups.md
 * §7): every membership change of a group runs after this statement, so they are ordered by the same
 * lock as the group's log (group row first, then group_user rows: no lock-order inversion). With
 * `ownerId`, only the owner's group matches. False when no active group matched.
 */
export async function lockForMembership(sequelize: Sequelize, transaction: Transaction, id: number, ownerId?: number): Promise<boolean> {
  const owner = ownerId === undefined ? '' : ' AND user_id = ?';
  const values = ownerId === undefined ? [ id ] : [ id, ownerId ];
  return await change(sequelize, transaction, `UPDATE \`group\` SET member_version = member_version + 1 WHERE id = ? AND status = 1${owner}`, values) === 1;
}

export async function insertGroup(sequelize: Sequelize, transaction: Transaction, group: { uuid: string; userId: number; name: string; avatar: string; now: Date }): Promise<number> {
  // member_version 1: the creation is the group's first membership change.
  const [ id ] = await sequelize.query(
    'INSERT INTO `group` (uuid, user_id, name, avatar, remark, invite_confirm, status, last_seq, member_version, `order`, create_time, update_time) ' +
    'VALUES (?, ?, ?, ?, \'\', 0, 1, 0, 1, 50, ?, ?)',
    { replacements: [ group.uuid, group.userId, group.name, group.avatar, group.now, group.now ], type: QueryTypes.INSERT, transaction },
  );
  return Number(id);
}

/** New member rows: active ones with their `joined_seq`, pending ones (status 2) with none. */
export async function insertMembers(sequelize: Sequelize, transaction: Transaction, groupId: number, members: Array<{ userId: number; status: 1 | 2; joinedSeq: number | null }>, now: Date): Promise<void> {
  if (!members.length) return;
  const rows = members.map(() => '(?, ?, \'\', \'\', ?, ?, NULL, 0, 50, ?, ?)').join(', ');
  const values = members.flatMap(m => [ groupId, m.userId, m.status, m.joinedSeq, now, now ]);
  await sequelize.query(
    `INSERT INTO group_user (group_id, user_id, nickname, avatar, status, joined_seq, left_seq, delivered_seq, \`order\`, create_time, update_time) VALUES ${rows}`,
    { replacements: values, type: QueryTypes.INSERT, transaction },
  );
}

/** Re-uses the row of a member who left: active again from `joinedSeq` (or pending when null), as a new member. */
export async function rejoin(sequelize: Sequelize, transaction: Transaction, rowId: number, status: 1 | 2, joinedSeq: number | null, now: Date): Promise<void> {
  await change(sequelize, transaction,
    'UPDATE group_user SET status = ?, joined_seq = ?, left_seq = NULL, nickname = \'\', create_time = ?, update_time = ? WHERE id = ? AND left_seq IS NOT NULL',
    [ status, joinedSeq, now, now, rowId ]);
}

/** A pending applicant becomes active from `joinedSeq`; false when the row was not pending any more. */
export async function activatePending(sequelize: Sequelize, transaction: Transaction, rowId: number, joinedSeq: number, now: Date): Promise<boolean> {
  return await change(sequelize, transaction,
    'UPDATE group_user SET status = 1, joined_seq = ?, update_time = ? WHERE id = ? AND status = 2 AND left_seq IS NULL',
    [ joinedSeq, now, rowId ]) === 1;
}

/** An active member leaves (quit, removal): receives nothing after `leftSeq`. */
export async function markLeft(sequelize: Sequelize, transaction: Transaction, rowId: number, leftSeq: number, now: Date): Promise<boolean> {
  return await change(sequelize, transaction,
    'UPDATE group_user SET left_seq = ?, update_time = ? WHERE id = ? AND left_seq IS NULL', [ leftSeq, now, rowId ]) === 1;
}

/** A pending application withdrawn or refused: the row goes (it never had a delivery position). */
export async function deletePending(sequelize: Sequelize, transaction: Transaction, rowId: number): Promise<boolean> {
  return await change(sequelize, transaction, 'DELETE FROM group_user WHERE id = ? AND status = 2 AND left_seq IS NULL', [ rowId ]) === 1;
}

/** The member row of that user (any status, left or not). */
export async function findMember(sequelize: Sequelize, groupId: number, userId: number, transaction?: Transaction): Promise<MemberRow | null> {
  const row = await first(sequelize, `SELECT ${MEMBER_COLUMNS} FROM group_user WHERE group_id = ? AND user_id = ?`, [ groupId, userId ], transaction);
  return row ? memberRow(row) : null;
}

export async function countActive(sequelize: Sequelize, groupId: number, transaction?: Transaction): Promise<number> {
  const row = await first<{ n: number | string }>(sequelize, `SELECT COUNT(*) AS n FROM group_user WHERE group_id = ? AND ${ACTIVE}`, [ groupId ], transaction);
  return Number(row?.n ?? 0);
}

/** Groups the user belongs to or waits to join (the groups-per-user limit). */
export async function countMemberships(sequelize: Sequelize, userId: number, transaction?: Transaction): Promise<number> {
  const row = await first<{ n: number | string }>(sequelize,
    'SELECT COUNT(*) AS n FROM group_user gu JOIN `group` g ON g.id = gu.group_id AND g.status = 1 ' +
    'WHERE gu.user_id = ? AND gu.status IN (1, 2) AND gu.left_seq IS NULL', [ userId ], transaction);
  return Number(row?.n ?? 0);
}

/** User ids of the active members, in join order. */
export async function activeMemberIds(sequelize: Sequelize, groupId: number, transaction?: Transaction): Promise<number[]> {
  const rows = await select<{ user_id: number }>(sequelize, `SELECT user_id FROM group_user WHERE group_id = ? AND ${ACTIVE} ORDER BY id`, [ groupId ], transaction);
  return rows.map(row => Number(row.user_id));
}

/** The group avatar: the first 9 active members' avatars (their group avatar, else their own), `exceptUserId` left out. */
export async function firstAvatars(sequelize: Sequelize, groupId: number, transaction: Transaction, exceptUserId = 0): Promise<string[]> {
  const rows = await select<{ avatar: string | null; user_avatar: string | null }>(sequelize,
    'SELECT gu.avatar, u.avatar AS user_avatar FROM group_user gu JOIN `user` u ON u.id = gu.user_id ' +
    'WHERE gu.group_id = ? AND gu.status = 1 AND gu.left_seq IS NULL AND gu.user_id <> ? ORDER BY gu.id LIMIT 9', [ groupId, exceptUserId ], transaction);
  return rows.map(row => row.avatar || row.user_avatar || '');
}

/**
 * Sets one column of an active group. The caller checked who may (MySQL's affected-row count, as
 * Sequelize configures mysql2, counts CHANGED rows: the same value again would look like no match).
 */
export async function updateGroup(sequelize: Sequelize, transaction: Transaction, id: number, column: 'name' | 'remark' | 'invite_confirm' | 'avatar', value: string | number): Promise<void> {
  // `column` comes from the union above, never from a request.
  await change(sequelize, transaction, `UPDATE \`group\` SET ${column} = ?, update_time = ? WHERE id = ? AND status = 1`, [ value, new Date(), id ]);
}

/** Dissolves the group: nothing after `closedSeq` (its dissolve notice) reaches anyone. */
export async function closeGroup(sequelize: Sequelize, transaction: Transaction, id: number, closedSeq: number): Promise<void> {
  await change(sequelize, transaction, 'UPDATE `group` SET status = 0, closed_seq = ?, update_time = ? WHERE id = ? AND status = 1', [ closedSeq, new Date(), id ]);
}

export async function setNickname(sequelize: Sequelize, transaction: Transaction, rowId: number, nickname: string): Promise<void> {
  await change(sequelize, transaction, 'UPDATE group_user SET nickname = ?, update_time = ? WHERE id = ?', [ nickname, new Date(), rowId ]);
}

/** My active groups, newest group first, with my member row's name and avatar. */
export async function listMine(sequelize: Sequelize, userId: number, offset: number, limit: number) {
  const rows = await select<any>(sequelize,
    'SELECT g.id, g.uuid, g.user_id, g.name, g.avatar, g.remark, g.invite_confirm, g.status, g.`order`, g.create_time, ' +
    'gu.nickname AS gu_nickname, gu.avatar AS gu_avatar FROM group_user gu JOIN `group` g ON g.id = gu.group_id AND g.status = 1 ' +
    'WHERE gu.user_id = ? AND gu.status = 1 AND gu.left_seq IS NULL ORDER BY g.id DESC LIMIT ? OFFSET ?', [ userId, limit, offset ]);
  return rows.map(row => ({ group: groupRow(row)!, nickname: String(row.gu_nickname ?? ''), avatar: String(row.gu_avatar ?? '') }));
}

/** The active members with their users' public columns, in join order. */
export async function membersWithUsers(sequelize: Sequelize, groupId: number): Promise<MemberWithUser[]> {
  const rows = await select<any>(sequelize,
    'SELECT gu.id, gu.group_id, gu.user_id, gu.nickname, gu.avatar, gu.status, gu.`order`, gu.create_time, gu.joined_seq, gu.left_seq, ' +
    'u.id AS u_id, u.username AS u_username, u.avatar AS u_avatar, u.nickname AS u_nickname, u.role AS u_role, u.uuid AS u_uuid ' +
    'FROM group_user gu JOIN `user` u ON u.id = gu.user_id WHERE gu.group_id = ? AND gu.status = 1 AND gu.left_seq IS NULL ORDER BY gu.id', [ groupId ]);
  return rows.map(row => ({ ...memberRow<MemberWithUser>(row), u_id: Number(row.u_id) }));
}

const USER_COLUMNS = 'id, uuid, username, nickname, avatar, role, status, is_deleted';

function userRow(row: any): UserRow {
  return { ...row, id: Number(row.id), status: Number(row.status), is_deleted: Number(row.is_deleted), nickname: row.nickname ?? '', avatar: row.avatar ?? '' };
}

/** Enabled, not deleted users among `ids`. */
export async function enabledUsers(sequelize: Sequelize, ids: number[], transaction?: Transaction): Promise<UserRow[]> {
  if (!ids.length) return [];
  const rows = await select<any>(sequelize, `SELECT ${USER_COLUMNS} FROM \`user\` WHERE id IN (${ids.map(() => '?').join(', ')}) AND status = 1 AND is_deleted = 0`, ids, transaction);
  return rows.map(userRow);
}

/**
 * The friends behind the caller's own goodfriend rows `rowIds` (group/create receives the client's
 * contact-list row ids): only my rows, friendship active and not blacklisted.
 */
export async function friendIdsOfRows(sequelize: Sequelize, meId: number, rowIds: number[], transaction: Transaction): Promise<number[]> {
  if (!rowIds.length) return [];
  const rows = await select<{ friend_id: number }>(sequelize,
    `SELECT friend_id FROM goodfriend WHERE user_id = ? AND id IN (${rowIds.map(() => '?').join(', ')}) AND status = 1 AND isblack = 0 ORDER BY id`,
    [ meId, ...rowIds ], transaction);
  return rows.map(row => Number(row.friend_id));
}

/** Whether `friendId` is my friend (my row active and not blacklisted). */
export async function isFriend(sequelize: Sequelize, meId: number, friendId: number, transaction: Transaction): Promise<boolean> {
  return !!await first(sequelize, 'SELECT id FROM goodfriend WHERE user_id = ? AND friend_id = ? AND status = 1 AND isblack = 0', [ meId, friendId ], transaction);
}

/** Users among `ids` already in (or waiting for) `limit` active groups. */
export async function usersAtGroupLimit(sequelize: Sequelize, ids: number[], limit: number, transaction: Transaction): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await select<{ user_id: number }>(sequelize,
    'SELECT gu.user_id FROM group_user gu JOIN `group` g ON g.id = gu.group_id AND g.status = 1 ' +
    `WHERE gu.user_id IN (${ids.map(() => '?').join(', ')}) AND gu.status IN (1, 2) AND gu.left_seq IS NULL GROUP BY gu.user_id HAVING COUNT(*) >= ?`,
    [ ...ids, limit ], transaction);
  return new Set(rows.map(row => Number(row.user_id)));
}

/** How users appear in a group: their group nickname, else nickname, else username; group avatar, else their own. */
export async function displayOf(sequelize: Sequelize, groupId: number, userIds: number[], transaction?: Transaction): Promise<Map<number, { id: number; name: string; avatar: string }>> {
  const out = new Map<number, { id: number; name: string; avatar: string }>();
  if (!userIds.length) return out;
  const rows = await select<any>(sequelize,
    'SELECT u.id, u.username, u.nickname, u.avatar, gu.nickname AS gu_nickname, gu.avatar AS gu_avatar FROM `user` u ' +
    `LEFT JOIN group_user gu ON gu.user_id = u.id AND gu.group_id = ? WHERE u.id IN (${userIds.map(() => '?').join(', ')})`,
    [ groupId, ...userIds ], transaction);
  for (const row of rows) {
    const id = Number(row.id);
    out.set(id, { id, name: row.gu_nickname || row.nickname || row.username || '', avatar: row.gu_avatar || row.avatar || '' });
  }
  return out;
}

/** The active groups `userId` owns (admin console: the account is being deleted). */
export async function ownedActiveGroupIds(sequelize: Sequelize, userId: number, transaction: Transaction): Promise<number[]> {
  const rows = await select<{ id: number }>(sequelize, 'SELECT id FROM `group` WHERE user_id = ? AND status = 1 ORDER BY id', [ userId ], transaction);
  return rows.map(row => Number(row.id));
}

/**
 * Who takes a group over from an owner whose account is deleted: the longest-standing active member
 * (earliest join position, then earliest row) whose account is enabled, registered accounts before
 * visitors (the owner's routes are for registered users); null when there is none.
 */
export async function successorOwner(sequelize: Sequelize, groupId: number, exceptUserId: number, transaction: Transaction): Promise<number | null> {
  const row = await first<{ user_id: number }>(sequelize,
    'SELECT gu.user_id FROM group_user gu JOIN `user` u ON u.id = gu.user_id ' +
    'WHERE gu.group_id = ? AND gu.status = 1 AND gu.left_seq IS NULL AND gu.user_id <> ? AND u.status = 1 AND u.is_deleted = 0 ' +
    "ORDER BY CASE WHEN u.role = 'visitor' THEN 1 ELSE 0 END, COALESCE(gu.joined_seq, 0), gu.id LIMIT 1", [ groupId, exceptUserId ], transaction);
  return row ? Number(row.user_id) : null;
}

export async function setOwner(sequelize: Sequelize, transaction: Transaction, groupId: number, userId: number): Promise<void> {
  await change(sequelize, transaction, 'UPDATE `group` SET user_id = ?, update_time = ? WHERE id = ? AND status = 1', [ userId, new Date(), groupId ]);
}

/** Withdraws a group's pending applications; answers the applicants. */
export async function withdrawPending(sequelize: Sequelize, transaction: Transaction, groupId: number): Promise<number[]> {
  const rows = await select<{ user_id: number }>(sequelize, 'SELECT user_id FROM group_user WHERE group_id = ? AND status = 2 AND left_seq IS NULL', [ groupId ], transaction);
  if (rows.length) await change(sequelize, transaction, 'DELETE FROM group_user WHERE group_id = ? AND status = 2 AND left_seq IS NULL', [ groupId ]);
  return rows.map(row => Number(row.user_id));
}
