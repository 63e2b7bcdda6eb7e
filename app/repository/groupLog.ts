import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { ReadOptions, selectRows, selectRowsIn } from '../lib/rawQuery';
import { inTransaction } from '../lib/transaction';

/** Where a group stands under its row lock: the sequence just taken and the membership version. */
export interface GroupPosition { seq: number; memberVersion: number }

/**
 * Takes the group's next sequence number inside the caller's transaction: the UPDATE locks the group's
 * row (MySQL; SQLite transactions are serial), so a group's entries and membership changes commit one
 * at a time and sequence numbers follow commit order. Null when the group is not active (missing,
 * dissolved or locked).
 */
export async function nextGroupSeq(sequelize: Sequelize, transaction: Transaction, groupId: number): Promise<GroupPosition | null> {
  const [ , meta ] = await sequelize.query('UPDATE `group` SET last_seq = last_seq + 1 WHERE id = ? AND status = 1', {
    replacements: [ groupId ], type: QueryTypes.UPDATE, transaction,
  }) as unknown as [ unknown, number ];
  if (!meta) return null;
  const [ row ] = await sequelize.query<{ last_seq: number | string; member_version: number | string }>(
    'SELECT last_seq, member_version FROM `group` WHERE id = ?', { replacements: [ groupId ], type: QueryTypes.SELECT, transaction });
  return row ? { seq: Number(row.last_seq), memberVersion: Number(row.member_version) } : null;
}

/** One entry of the group's log (a chat message or a notice). */
export async function insertGroupLog(sequelize: Sequelize, transaction: Transaction, entry: {
  groupId: number; seq: number; messageId: number | null; skipUserId: number | null; payload: string;
}): Promise<void> {
  await sequelize.query(
    'INSERT INTO group_log (group_id, seq, message_id, skip_user_id, payload, create_time) VALUES (?, ?, ?, ?, ?, ?)',
    { replacements: [ entry.groupId, entry.seq, entry.messageId, entry.skipUserId, entry.payload, new Date() ], type: QueryTypes.INSERT, transaction },
  );
}

/** The sender as a member of the group, with what a message of theirs shows (read under the group's lock). */
export interface GroupSender {
  group: { id: number; uuid: string; user_id: number; name: string; avatar: string; remark: string; invite_confirm: number; status: number; order: number; create_time: Date | string };
  /** Null when the user has no row in the group. */
  member: { nickname: string; avatar: string; status: number; joined_seq: number | null; left_seq: number | null } | null;
  user: { uuid: string; username: string; nickname: string | null; avatar: string };
}

export async function groupSender(sequelize: Sequelize, transaction: Transaction, groupId: number, userId: number): Promise<GroupSender | null> {
  const [ row ] = await sequelize.query<any>(
    'SELECT g.id, g.uuid, g.user_id, g.name, g.avatar, g.remark, g.invite_confirm, g.status, g.`order`, g.create_time, ' +
    'gu.id AS gu_id, gu.nickname AS gu_nickname, gu.avatar AS gu_avatar, gu.status AS gu_status, gu.joined_seq, gu.left_seq, ' +
    'u.uuid AS u_uuid, u.username AS u_username, u.nickname AS u_nickname, u.avatar AS u_avatar ' +
    'FROM `group` g JOIN `user` u ON u.id = ? LEFT JOIN group_user gu ON gu.group_id = g.id AND gu.user_id = u.id WHERE g.id = ?',
    { replacements: [ userId, groupId ], type: QueryTypes.SELECT, transaction },
  );
  if (!row) return null;
  const nullable = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    group: {
      id: Number(row.id), uuid: row.uuid, user_id: Number(row.user_id), name: row.name, avatar: row.avatar ?? '', remark: row.remark ?? '',
      invite_confirm: Number(row.invite_confirm), status: Number(row.status), order: Number(row.order), create_time: row.create_time,
    },
    member: row.gu_id === null || row.gu_id === undefined ? null : {
      nickname: row.gu_nickname ?? '', avatar: row.gu_avatar ?? '', status: Number(row.gu_status), joined_seq: nullable(row.joined_seq), left_seq: nullable(row.left_seq),
    },
    user: { uuid: row.u_uuid, username: row.u_username, nickname: row.u_nickname, avatar: row.u_avatar ?? '' },
  };
}

/** The object the members got for a group message (its first log entry; a recall notice comes later). */
export async function groupPayloadOf(sequelize: Sequelize, messageId: number, transaction?: Transaction): Promise<string | null> {
  const [ row ] = await sequelize.query<{ payload: string }>('SELECT payload FROM group_log WHERE message_id = ? ORDER BY seq LIMIT 1', {
    replacements: [ messageId ], type: QueryTypes.SELECT, transaction,
  });
  return row?.payload ?? null;
}

/** The reads below feed socket delivery: always the primary, never a read replica (see repository/chatInbox.ts). */
const PRIMARY: ReadOptions = { primary: true };

/**
 * A user's place in each group whose log they may still have something to receive from: joined (not a
 * pending applicant), and not finished (left or dissolved with everything up to then confirmed).
 */
export interface Membership { groupId: number; joined: number; left: number | null; closed: number | null; delivered: number; last: number; version: number }

export async function membershipsOf(sequelize: Sequelize, userId: number): Promise<Membership[]> {
  const rows = await selectRows<any>(sequelize,
    'SELECT gu.group_id, gu.joined_seq, gu.left_seq, gu.delivered_seq, g.closed_seq, g.last_seq, g.member_version ' +
    'FROM group_user gu JOIN `group` g ON g.id = gu.group_id ' +
    'WHERE gu.user_id = ? AND gu.joined_seq IS NOT NULL ' +
    'AND (gu.left_seq IS NULL OR gu.delivered_seq < gu.left_seq) AND (g.closed_seq IS NULL OR gu.delivered_seq < g.closed_seq)', [ userId ], PRIMARY);
  return rows.map(row => ({
    groupId: Number(row.group_id),
    joined: Number(row.joined_seq),
    left: row.left_seq === null ? null : Number(row.left_seq),
    closed: row.closed_seq === null ? null : Number(row.closed_seq),
    delivered: Number(row.delivered_seq),
    last: Number(row.last_seq),
    version: Number(row.member_version),
  }));
}

export interface GroupLogEntry { seq: number; skip: number | null; payload: string }

/** The group's entries in (afterSeq, upToSeq], in order. */
export async function readGroupLog(sequelize: Sequelize, groupId: number, afterSeq: number, upToSeq: number, limit: number): Promise<GroupLogEntry[]> {
  const rows = await selectRows<any>(sequelize,
    'SELECT seq, skip_user_id, payload FROM group_log WHERE group_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?', [ groupId, afterSeq, upToSeq, limit ], PRIMARY);
  return rows.map(row => ({ seq: Number(row.seq), skip: row.skip_user_id === null ? null : Number(row.skip_user_id), payload: row.payload }));
}

/** The last sequence number and membership version of each group. */
export async function groupHeads(sequelize: Sequelize, groupIds: number[]): Promise<Map<number, { last: number; version: number }>> {
  if (!groupIds.length) return new Map();
  const rows = await selectRowsIn<any>(sequelize,
    placeholders => `SELECT id, last_seq, member_version FROM \`group\` WHERE id IN (${placeholders})`, groupIds, PRIMARY);
  return new Map(rows.map(row => [ Number(row.id), { last: Number(row.last_seq), version: Number(row.member_version) }]));
}

/** Moves members' group cursors forward (never back), in one transaction. */
export async function advanceGroupCursors(sequelize: Sequelize, cursors: Array<[ groupId: number, userId: number, seq: number ]>): Promise<void> {
  if (!cursors.length) return;
  await inTransaction(sequelize, async transaction => {
    for (const [ groupId, userId, seq ] of cursors) {
      await sequelize.query('UPDATE group_user SET delivered_seq = ? WHERE group_id = ? AND user_id = ? AND delivered_seq < ?', {
        replacements: [ seq, groupId, userId, seq ], type: QueryTypes.UPDATE, transaction,
      });
    }
  });
}
