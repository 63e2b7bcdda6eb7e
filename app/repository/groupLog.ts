import { QueryTypes, Sequelize, Transaction } from 'sequelize';

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
