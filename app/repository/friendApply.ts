import { Sequelize, Transaction } from 'sequelize';
import { selectOne, selectRows, txRows, txRun } from '../lib/rawQuery';
import { ApplyStatus } from '../lib/types';

/**
 * Friend applications (goodfriendapply), straight on the connections (lib/rawQuery.ts): the model calls
 * were most of the worker CPU of listapplyfriend and of the write mix (applyfriend + handleapply agree)
 * in the bench's profiles (Sequelize, lodash and moment; docs/BENCHMARKS.md "Issue 16").
 *
 * Each user's number of pending applications sent to them is kept in `goodfriendapply_pending` (one row
 * per user, migration 20261202000600), changed in the same transaction as the applications themselves
 * by every function here that adds, handles or removes a pending one: listapplyfriend reads it by its
 * primary key instead of counting the user's pending entries of an index. Anything that writes
 * goodfriendapply outside these functions (the seeders, the bench's seeder, a test's own rows) calls
 * database/lib/applyCounter.js recountPendingApplications afterwards.
 */

/** An application row of a listapplyfriend page, with its applicant's user columns (u_*). */
export interface ApplyPageRow {
  id: number; user_id: number; friend_id: number; nickname: string; friendlookme: number; melookfriend: number;
  ismystarfriend: number; isblack: number; status: ApplyStatus; order: number | null;
  create_time: Date | string | null; update_time: Date | string | null;
  u_id: number | null; u_username: string; u_avatar: string; u_nickname: string; u_uuid: string;
}

/** What applyfriend checks before it writes (see applyChecks). */
export interface ApplyChecks { status: number; is_deleted: number; mine: number | null; blocked: number | null; pending: number | null }

/** One direction of a friendship: whose row, for whom, the owner's remark and the two visibility flags. */
export interface FriendRow { user_id: number; friend_id: number; nickname: string; friendlookme?: number; melookfriend?: number }

const isMysql = (sequelize: Sequelize) => sequelize.getDialect() === 'mysql';

// A page of the applications sent to me, newest first. The page's ids come from the (friend_id, id)
// index alone, named so (a backward range read of LIMIT + OFFSET entries, no sort), then only those
// rows are read. Given `WHERE friend_id = ? ORDER BY id DESC LIMIT …` over the joined rows, MariaDB
// walked the primary key from the newest application of anyone and filtered (EXPLAIN: type=index
// key=PRIMARY); left to choose, it may also take (friend_id, status) and sort all of my applications.
const applyPageSql = (indexHint: string) => 'SELECT a.id, a.user_id, a.friend_id, a.nickname, a.friendlookme, a.melookfriend, a.ismystarfriend, a.isblack, ' +
  'a.status, a.`order`, a.create_time, a.update_time, ' +
  'u.id AS u_id, u.username AS u_username, u.avatar AS u_avatar, u.nickname AS u_nickname, u.uuid AS u_uuid ' +
  `FROM (SELECT id FROM goodfriendapply ${indexHint} WHERE friend_id = ? ORDER BY id DESC LIMIT ? OFFSET ?) p ` +
  'JOIN goodfriendapply a ON a.id = p.id LEFT JOIN `user` u ON u.id = a.user_id ORDER BY a.id DESC';
const APPLY_PAGE_SQL = {
  mysql: applyPageSql('FORCE INDEX (goodfriendapply_friend_id_id)'),
  sqlite: applyPageSql('INDEXED BY goodfriendapply_friend_id_id'),
};
// The kept count: one primary-key read (no row: none pending).
const PENDING_COUNT_SQL = 'SELECT n FROM goodfriendapply_pending WHERE user_id = ?';

// What an application checks, in one read on its transaction: the target's row, then (each by an index)
// whether we are friends already, whether they blacklisted me, whether my application is pending.
// No row: no such user.
const APPLY_CHECK_SQL = 'SELECT u.status, u.is_deleted, ' +
  '(SELECT g.id FROM goodfriend g WHERE g.user_id = ? AND g.friend_id = u.id LIMIT 1) AS mine, ' +
  '(SELECT g.id FROM goodfriend g WHERE g.user_id = u.id AND g.friend_id = ? AND g.isblack = 1 LIMIT 1) AS blocked, ' +
  "(SELECT a.id FROM goodfriendapply a WHERE a.user_id = ? AND a.friend_id = u.id AND a.status = 'pending' LIMIT 1) AS pending " +
  'FROM `user` u WHERE u.id = ?';
const PEOPLE_SQL = 'SELECT id, username, nickname, avatar FROM `user` WHERE id IN (?, ?)';
const LOCK_USER_SQL = 'SELECT id FROM `user` WHERE id = ? FOR UPDATE';
// A new application, every column written as the model wrote it (its defaults, both timestamps).
const INSERT_APPLY_SQL = 'INSERT INTO goodfriendapply (user_id, friend_id, nickname, friendlookme, melookfriend, ismystarfriend, isblack, status, `order`, create_time, update_time) ' +
  'VALUES (?, ?, ?, 1, 1, 0, 0, ?, 50, ?, ?)';
// handleapply: the pending application sent to me.
const PENDING_TO_ME_SQL = "SELECT id, user_id, friendlookme, melookfriend FROM goodfriendapply WHERE id = ? AND friend_id = ? AND status = 'pending'";
// The status guard makes the change conditional: of two concurrent handlers only one changes the row.
const SET_STATUS_SQL = "UPDATE goodfriendapply SET status = ?, update_time = ? WHERE id = ? AND status = 'pending'";
const SETTLE_SQL = "UPDATE goodfriendapply SET status = 'agree', update_time = ? WHERE user_id = ? AND friend_id = ? AND status = 'pending'";
const DELETE_PENDING_SQL = "DELETE FROM goodfriendapply WHERE user_id = ? AND friend_id = ? AND status = 'pending'";
const DELETE_ALL_SQL = 'DELETE FROM goodfriendapply WHERE user_id = ? AND friend_id = ?';
// Both directions of a friendship in one statement; a direction that exists is kept as it is (the
// unique index (user_id, friend_id) makes this race-free), as the model's bulkCreate ignoreDuplicates did.
const friendRowsSql = (verb: string) => `${verb} INTO goodfriend (user_id, friend_id, nickname, friendlookme, melookfriend, ismystarfriend, isblack, status, \`order\`, create_time, update_time) ` +
  'VALUES (?, ?, ?, ?, ?, 0, 0, 1, 50, ?, ?), (?, ?, ?, ?, ?, 0, 0, 1, 50, ?, ?)';
const BEFRIEND_SQL = { mysql: friendRowsSql('INSERT IGNORE'), sqlite: friendRowsSql('INSERT OR IGNORE') };
// The counter: +n creates the row or adds to it (the row stays locked until the transaction ends, like
// the recipient's chat_inbox_seq row the same transaction takes for the notice); −n never goes below 0.
const COUNT_UP_SQL = {
  mysql: 'INSERT INTO goodfriendapply_pending (user_id, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)',
  sqlite: 'INSERT INTO goodfriendapply_pending (user_id, n) VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET n = n + excluded.n',
};
const COUNT_DOWN_SQL = 'UPDATE goodfriendapply_pending SET n = CASE WHEN n > ? THEN n - ? ELSE 0 END WHERE user_id = ?';

/** A page of the applications sent to `userId`, newest first, each with its applicant's user columns. */
export function applicationsTo(sequelize: Sequelize, userId: number, limit: number, offset: number): Promise<ApplyPageRow[]> {
  return selectRows<ApplyPageRow>(sequelize, isMysql(sequelize) ? APPLY_PAGE_SQL.mysql : APPLY_PAGE_SQL.sqlite, [ userId, limit, offset ]);
}

/** How many pending applications were sent to `userId` (the kept count: one primary-key read). */
export async function pendingCountTo(sequelize: Sequelize, userId: number): Promise<number> {
  const row = await selectOne<{ n: number | string }>(sequelize, PENDING_COUNT_SQL, [ userId ]);
  return Number(row?.n ?? 0);
}

/**
 * Takes `userId`'s user row for update (MySQL; SQLite transactions are already serial): serialises that
 * user's own applications, so two identical requests at the same moment cannot both pass a duplicate check.
 */
export async function lockApplicant(sequelize: Sequelize, transaction: Transaction, userId: number): Promise<void> {
  if (isMysql(sequelize)) await txRows(sequelize, transaction, LOCK_USER_SQL, [ userId ]);
}

/** The target's row and, each by an index, the three reasons to refuse `fromId`'s application to `toId`. */
export async function applyChecks(sequelize: Sequelize, transaction: Transaction, fromId: number, toId: number): Promise<ApplyChecks | null> {
  const [ row ] = await txRows<ApplyChecks>(sequelize, transaction, APPLY_CHECK_SQL, [ fromId, fromId, fromId, toId ]);
  return row ?? null;
}

/** Stores an application (`pending`, or `agree` when it is accepted at once) and counts a pending one. */
export async function insertApplication(sequelize: Sequelize, transaction: Transaction, fromId: number, toId: number, nickname: string, status: 'pending' | 'agree' = 'pending'): Promise<void> {
  const now = new Date();
  await txRun(sequelize, transaction, INSERT_APPLY_SQL, [ fromId, toId, nickname, status, now, now ]);
  if (status === 'pending') await countPending(sequelize, transaction, toId, 1);
}

/** The pending application `applyId` sent to `meId`, locked (MySQL) until the transaction ends; null if none. */
export async function lockPendingTo(sequelize: Sequelize, transaction: Transaction, applyId: number, meId: number) {
  const [ row ] = await txRows<{ id: number; user_id: number; friendlookme: number; melookfriend: number }>(
    sequelize, transaction, isMysql(sequelize) ? `${PENDING_TO_ME_SQL} FOR UPDATE` : PENDING_TO_ME_SQL, [ applyId, meId ]);
  return row ?? null;
}

/**
 * Moves the pending application `applyId` (sent to `toId`) to `status`; false when it was no longer
 * pending (another handler got there first), in which case nothing changed.
 */
export async function setStatus(sequelize: Sequelize, transaction: Transaction, applyId: number, toId: number, status: Exclude<ApplyStatus, 'pending'>): Promise<boolean> {
  const { affectedRows } = await txRun(sequelize, transaction, SET_STATUS_SQL, [ status, new Date(), applyId ]);
  if (affectedRows !== 1) return false;
  await countPending(sequelize, transaction, toId, -1);
  return true;
}

/** `fromId`'s pending application to `toId`, if any, becomes `agree` (settled by a friendship). */
export async function settlePending(sequelize: Sequelize, transaction: Transaction, fromId: number, toId: number): Promise<void> {
  const { affectedRows } = await txRun(sequelize, transaction, SETTLE_SQL, [ new Date(), fromId, toId ]);
  await countPending(sequelize, transaction, toId, -affectedRows);
}

/** Removes every application between the two users, either way (and their pending ones from the counts). */
export async function deleteApplicationsBetween(sequelize: Sequelize, transaction: Transaction, a: number, b: number): Promise<void> {
  for (const [ from, to ] of [[ a, b ], [ b, a ]]) {
    const { affectedRows } = await txRun(sequelize, transaction, DELETE_PENDING_SQL, [ from, to ]);
    await countPending(sequelize, transaction, to, -affectedRows);
    await txRun(sequelize, transaction, DELETE_ALL_SQL, [ from, to ]);
  }
}

/**
 * Removes every application a user sent or received (an account deleted): the users they had applied to
 * have that many fewer pending, and their own count goes.
 */
export async function deleteApplicationsOf(sequelize: Sequelize, transaction: Transaction, userId: number): Promise<void> {
  const targets = await txRows<{ friend_id: number; n: number | string }>(sequelize, transaction,
    "SELECT friend_id, COUNT(*) AS n FROM goodfriendapply WHERE user_id = ? AND status = 'pending' GROUP BY friend_id", [ userId ]);
  await txRun(sequelize, transaction, 'DELETE FROM goodfriendapply WHERE user_id = ? OR friend_id = ?', [ userId, userId ]);
  await txRun(sequelize, transaction, 'DELETE FROM goodfriendapply_pending WHERE user_id = ?', [ userId ]);
  for (const { friend_id, n } of targets) await countPending(sequelize, transaction, Number(friend_id), -Number(n));
}

/** Inserts both directions of a friendship, each unless it exists (the unique index makes this race-free). */
export async function insertFriendRows(sequelize: Sequelize, transaction: Transaction, mine: FriendRow, theirs: FriendRow): Promise<void> {
  const now = new Date();
  const values = (row: FriendRow) => [ row.user_id, row.friend_id, row.nickname, row.friendlookme ?? 1, row.melookfriend ?? 1, now, now ];
  await txRun(sequelize, transaction, isMysql(sequelize) ? BEFRIEND_SQL.mysql : BEFRIEND_SQL.sqlite, [ ...values(mine), ...values(theirs) ]);
}

/** Names and avatars of two users (or one, twice), by one read on the transaction's connection. */
export function peopleRows(sequelize: Sequelize, transaction: Transaction, a: number, b: number) {
  return txRows<{ id: number; username: string; nickname: string; avatar: string }>(sequelize, transaction, PEOPLE_SQL, [ a, b ]);
}

/** Adds `delta` (±) to `userId`'s count of pending applications sent to them. */
async function countPending(sequelize: Sequelize, transaction: Transaction, userId: number, delta: number): Promise<void> {
  if (delta > 0) await txRun(sequelize, transaction, isMysql(sequelize) ? COUNT_UP_SQL.mysql : COUNT_UP_SQL.sqlite, [ userId, delta ]);
  else if (delta < 0) await txRun(sequelize, transaction, COUNT_DOWN_SQL, [ -delta, -delta, userId ]);
}
