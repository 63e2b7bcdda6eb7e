import { Service } from 'egg';
import { QueryTypes } from 'sequelize';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { Contact, groupContacts } from '../lib/contactGroups';

interface ContactRow { id: number; beizhu: string; username: string; avatar: string; friend_nickname: string; friend_id: number; uuid: string }

export default class GoodfriendService extends Service {
  /** My contacts, grouped by the initial of the name I see them under. */
  async contacts(meId: number, page: number, limit: number) {
    const { Goodfriend } = this.ctx.model;
    // One joined query returning plain rows: no model instances for a list of thousands.
    const [ rows, count ] = await Promise.all([
      this.ctx.model.query<ContactRow>(
        'SELECT g.id, g.nickname AS beizhu, u.username, u.avatar, u.nickname AS friend_nickname, g.friend_id, u.uuid ' +
        'FROM goodfriend g JOIN `user` u ON u.id = g.friend_id WHERE g.user_id = :me ORDER BY g.id LIMIT :limit OFFSET :offset',
        { replacements: { me: meId, limit, offset: (page - 1) * limit }, type: QueryTypes.SELECT },
      ),
      Goodfriend.count({ where: { user_id: meId } }),
    ]);
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

  /** My friend's profile; only through my own row for them. */
  async profile(meId: number, friendId: number) {
    const { Goodfriend, User, Userinfo } = this.ctx.model;
    const row = await Goodfriend.findOne({
      where: { user_id: meId, friend_id: friendId },
      attributes: [ 'id', 'user_id', 'friend_id', 'nickname' ],
      include: [{
        model: User,
        as: 'friendinfo',
        attributes: [ 'id', 'username', 'avatar', 'nickname', 'role', 'status' ],
        include: [{ model: Userinfo, as: 'userinfo', attributes: [ 'id', 'gender', 'birthday', 'bio', 'location', 'website' ] }],
      }],
    });
    if (!row) throw new BusinessError(MSG.friendMissing);
    return row.get({ plain: true });
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
    // same second, so update_time is unchanged too) counts 0. Only a missing row is a refusal.
    const found = await this.ctx.model.Goodfriend.findOne({ where, attributes: [ 'id' ] });
    if (!found) throw new BusinessError(refusal);
  }
}
