import { Service } from 'egg';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { Contact, groupContacts } from '../lib/contactGroups';
import { userinfoOf, UserinfoColumns } from '../lib/userinfoShape';
import { selectOne, selectRows } from '../lib/rawQuery';
import { deleteApplicationsBetween } from '../repository/friendApply';

interface ContactRow { id: number; beizhu: string; username: string; avatar: string; friend_nickname: string; friend_id: number; uuid: string }

const CONTACTS_SQL = 'SELECT g.id, g.nickname AS beizhu, u.username, u.avatar, u.nickname AS friend_nickname, g.friend_id, u.uuid ' +
  'FROM goodfriend g JOIN `user` u ON u.id = g.friend_id WHERE g.user_id = ? ORDER BY g.id LIMIT ? OFFSET ?';
// Served by the unique index (user_id, friend_id) alone.
const COUNT_SQL = 'SELECT COUNT(*) AS count FROM goodfriend WHERE user_id = ?';
// What a cached list depends on, read from the same index (it holds the primary key too): any friendship
// of mine added or removed changes it, and the API has no other way to change what the list shows.
const CONTACTS_VERSION_SQL = 'SELECT COUNT(*) AS n, MAX(id) AS last, SUM(friend_id) AS ids FROM goodfriend WHERE user_id = ?';

interface ProfileRow extends UserinfoColumns {
  id: number; user_id: number; friend_id: number; nickname: string;
  u_id: number | null; u_username: string; u_avatar: string; u_nickname: string; u_role: string; u_status: number;
}

// My row for the friend, their user row and their user_info row (outer joins, as the associations were).
const PROFILE_SQL = 'SELECT g.id, g.user_id, g.friend_id, g.nickname, ' +
  'u.id AS u_id, u.username AS u_username, u.avatar AS u_avatar, u.nickname AS u_nickname, u.role AS u_role, u.status AS u_status, ' +
  'i.id AS i_id, i.gender AS i_gender, i.birthday AS i_birthday, i.bio AS i_bio, i.location AS i_location, i.website AS i_website ' +
  'FROM goodfriend g LEFT JOIN `user` u ON u.id = g.friend_id LEFT JOIN user_info i ON i.user_id = u.id ' +
  'WHERE g.user_id = ? AND g.friend_id = ? LIMIT 1';

export default class GoodfriendService extends Service {
  /**
   * `contacts` serialized as JSON, from this worker's cache while my friendships are unchanged: opening
   * the contacts screen again costs one index-only read instead of the joined list, its grouping and
   * its serialization.
   */
  async contactsJson(meId: number, page: number, limit: number): Promise<Buffer> {
    const cache = this.app.contactsCache;
    const pageKey = `${page}:${limit}`;
    const versionRow = await selectOne<{ n: number; last: number | null; ids: number | string | null }>(this.ctx.model, CONTACTS_VERSION_SQL, [ meId ]);
    const version = `${versionRow?.n ?? 0}:${versionRow?.last ?? 0}:${versionRow?.ids ?? 0}`;
    const cached = cache.get(meId, version, pageKey);
    if (cached) return cached;
    // Read after the version: a friendship added in between is in this list and changes the next version.
    const body = Buffer.from(JSON.stringify(await this.contacts(meId, page, limit)));
    cache.set(meId, version, pageKey, body);
    return body;
  }

  /** My contacts, grouped by the initial of the name I see them under. */
  async contacts(meId: number, page: number, limit: number) {
    const offset = (page - 1) * limit;
    // One joined query returning plain rows: no model instances for a list of thousands.
    const rows = await selectRows<ContactRow>(this.ctx.model, CONTACTS_SQL, [ meId, limit, offset ]);
    // A page that is not full tells the total by itself (nearly every request: the default page holds
    // 2,000); only a full page, or one past the end, needs the COUNT round trip.
    const count = rows.length < limit && (rows.length > 0 || offset === 0) ? offset + rows.length : await this.countContacts(meId);
    const contacts: Contact[] = rows.map(row => ({
      id: row.id,
      beizhu: row.beizhu ?? '',
      username: row.username,
      avatar: row.avatar,
      friend_nickname: row.friend_nickname ?? '',
      friend_id: row.friend_id,
      name: row.beizhu || row.friend_nickname || row.username,
      uuid: row.uuid,
    }));
    return { count, rows: groupContacts(contacts) };
  }

  private async countContacts(meId: number): Promise<number> {
    const row = await selectOne<{ count: number | string }>(this.ctx.model, COUNT_SQL, [ meId ]);
    return Number(row?.count ?? 0);
  }

  /** My friend's profile; only through my own row for them. */
  async profile(meId: number, friendId: number) {
    // One joined statement read as plain values: the nested shape is built here rather than through
    // three model instances (goodfriend → user → user_info) on every request.
    const row = await selectOne<ProfileRow>(this.ctx.model, PROFILE_SQL, [ meId, friendId ]);
    if (!row) throw new BusinessError(MSG.friendMissing);
    return {
      id: row.id,
      user_id: row.user_id,
      friend_id: row.friend_id,
      nickname: row.nickname,
      friendinfo: row.u_id === null ? null : {
        id: row.u_id,
        username: row.u_username,
        avatar: row.u_avatar,
        nickname: row.u_nickname,
        role: row.u_role,
        status: row.u_status,
        userinfo: userinfoOf(row),
      },
    };
  }

  /**
   * POST /api/chat/ismygoodfriend/:id — my row for that user while I have not blacklisted them (the
   * original's answer: the row without order and timestamps).
   */
  async myRowFor(meId: number, friendId: number) {
    const row = await this.ctx.model.Goodfriend.findOne({
      where: { user_id: meId, friend_id: friendId, isblack: 0 },
      attributes: [ 'id', 'user_id', 'friend_id', 'nickname', 'friendlookme', 'melookfriend', 'ismystarfriend', 'isblack', 'status' ],
      raw: true,
    });
    if (!row) throw new BusinessError(MSG.notMyFriend);
    return row;
  }

  /**
   * POST /api/chat/deletegoodfriend/:id — ends the friendship both ways and removes every application
   * between us (so either may apply again later), in one transaction. Contact lists show it at once: the
   * cache's version (contactsJson) changes with my rows and theirs.
   */
  async remove(meId: number, friendId: number): Promise<void> {
    const { Goodfriend } = this.ctx.model;
    await this.app.transaction(async transaction => {
      const mine = await Goodfriend.destroy({ where: { user_id: meId, friend_id: friendId }, transaction });
      if (mine === 0) throw new BusinessError(MSG.deleteNotFriends);
      await Goodfriend.destroy({ where: { user_id: friendId, friend_id: meId }, transaction });
      // A pending one among them also leaves its target's pending count (repository/friendApply.ts).
      await deleteApplicationsBetween(this.ctx.model, transaction, meId, friendId);
    });
  }

  /** Puts my friend on or off my blacklist (a single atomic toggle: storms never lose an update). */
  async toggleBlack(meId: number, friendId: number): Promise<void> {
    await this.updateMyRow(meId, friendId, { isblack: this.flipped('isblack') }, false, MSG.friendMissing);
  }

  async toggleStar(meId: number, friendId: number): Promise<void> {
    await this.updateMyRow(meId, friendId, { ismystarfriend: this.flipped('ismystarfriend') }, true, MSG.friendMissingOrBlack);
  }

  async setVisibility(meId: number, friendId: number, friendlookme: number, melookfriend: number): Promise<void> {
    await this.updateMyRow(meId, friendId, { friendlookme, melookfriend }, true, MSG.friendMissingOrBlack);
  }

  private flipped(column: string) {
    return this.app.Sequelize.literal(`1 - ${column}`);
  }

  private async updateMyRow(meId: number, friendId: number, values: Record<string, unknown>, notBlack: boolean, refusal: string) {
    const where: Record<string, unknown> = { user_id: meId, friend_id: friendId };
    if (notBlack) where.isblack = 0;
    const [ changed ] = await this.ctx.model.Goodfriend.update(values, { where });
    if (changed === 1) return;
    // MySQL reports CHANGED rows, not matched ones: setting the values a row already has (within the
    // same second, so update_time is unchanged too) counts 0. A toggle always changes the row it matches,
    // so for it 0 means nothing matched (looking again could find a row whose blacklist was lifted since,
    // and answer "ok" for a toggle that never happened). For a plain set, look again under a row lock and
    // set again: a concurrent request may have changed the values since, so "the row holds my values"
    // is not the test — "the row matches now, and my values are written while I hold it" is.
    const isToggle = Object.values(values).some(value => typeof value === 'object');
    if (isToggle) throw new BusinessError(refusal);
    const { Goodfriend } = this.ctx.model;
    await this.app.transaction(async transaction => {
      const row = await Goodfriend.findOne({ where, attributes: [ 'id' ], transaction, lock: transaction.LOCK.UPDATE });
      if (!row) throw new BusinessError(refusal);
      await Goodfriend.update(values, { where: { id: row.id }, transaction });
    });
  }
}
