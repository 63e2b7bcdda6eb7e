import { Service } from 'egg';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { userinfoOf, UserinfoColumns } from '../lib/userinfoShape';
import { selectOne } from '../lib/rawQuery';
import { effectiveUserset, normalizeUserset } from '../lib/userSettings';
import { AuthenticatedUser } from '../extend/context';

interface PublicProfileRow extends UserinfoColumns {
  id: number; uuid: string; username: string; nickname: string; avatar: string; role: string; userset: string | null;
}

// Only public columns: never the password, the device fingerprint, IPs or contact details.
const PUBLIC_PROFILE_SQL = 'SELECT u.id, u.uuid, u.username, u.nickname, u.avatar, u.role, u.userset, ' +
  'i.id AS i_id, i.gender AS i_gender, i.birthday AS i_birthday, i.bio AS i_bio, i.location AS i_location, i.website AS i_website ' +
  'FROM `user` u LEFT JOIN user_info i ON i.user_id = u.id WHERE u.uuid = ? AND u.status = 1 AND u.is_deleted = 0 LIMIT 1';

/** The fields POST /api/chat/updateUserinfo may change, and the answer for each. */
export type EditableField = 'nickname' | 'avatar' | 'invite_confirm';
const UPDATED_MESSAGE: Record<EditableField, string> = {
  nickname: MSG.nicknameUpdated,
  avatar: MSG.avatarUpdated,
  invite_confirm: MSG.settingUpdated,
};

/** Profiles and per-user settings. */
export default class ProfileService extends Service {
  /** GET /api/userinfo/:uuid — anyone's public card (no token needed, as in the original). */
  async publicProfile(uuid: string) {
    const row = await selectOne<PublicProfileRow>(this.ctx.model, PUBLIC_PROFILE_SQL, [ uuid ]);
    if (!row) throw new BusinessError(MSG.userMissing);
    return {
      id: row.id,
      uuid: row.uuid,
      username: row.username,
      nickname: row.nickname ?? '',
      avatar: row.avatar,
      role: row.role,
      userinfo: userinfoOf(row),
      userset: effectiveUserset(row.userset),
    };
  }

  /** POST /api/chat/userset — my settings, checked and stored in canonical form. */
  async saveUserset(meId: number, raw: string): Promise<void> {
    const userset = normalizeUserset(raw);
    await this.ctx.model.User.update({ userset }, { where: { id: meId } });
  }

  /**
   * POST /api/chat/getUserSetInfo — what the chat page needs before "add friend": the other user's
   * settings and whether I am in their contacts (and not blacklisted there).
   */
  async settingsOf(me: AuthenticatedUser, userId: number) {
    const { User, Goodfriend } = this.ctx.model;
    const [ user, theirRowForMe ] = await Promise.all([
      User.findOne({ where: { id: userId, role: { [this.app.Sequelize.Op.ne]: 'visitor' }, status: 1, is_deleted: 0 }, attributes: [ 'id', 'userset', 'invite_confirm', 'uuid' ] }),
      Goodfriend.findOne({ where: { user_id: userId, friend_id: me.id }, attributes: [ 'isblack', 'status' ] }),
    ]);
    if (!user) throw new BusinessError(MSG.userSetTargetInvalid);
    const isgoodfriend = !!theirRowForMe;
    const isgoodfriend_status = !theirRowForMe || (Number(theirRowForMe.isblack) === 0 && Number(theirRowForMe.status) === 1);
    return {
      id: user.id,
      userset: effectiveUserset(user.userset),
      invite_confirm: Number(user.invite_confirm),
      uuid: user.uuid,
      isgoodfriend,
      isgoodfriend_status,
    };
  }

  /** POST /api/chat/updateUserinfo — one of my own editable fields (the value was validated for it). */
  async updateField(meId: number, field: EditableField, value: string | number): Promise<string> {
    const [ changed ] = await this.ctx.model.User.update({ [field]: value }, { where: { id: meId } });
    // MySQL counts changed rows: the same value again is a success too (the row exists: the token said so).
    if (changed !== 1 && !await this.ctx.model.User.findByPk(meId, { attributes: [ 'id' ] })) throw new BusinessError(MSG.userMissing);
    return UPDATED_MESSAGE[field];
  }
}
