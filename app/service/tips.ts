import { Service } from 'egg';
import { Sequelize } from 'sequelize';
import { v4 as uuidv4 } from 'uuid';
import { selectOne } from '../lib/rawQuery';
import { TipName, tipMessage, TipUser, USER_TIPS, VISITOR_TIPS } from '../lib/tips';

const TIP_USER_SQL = 'SELECT id, username, nickname, avatar, role FROM `user` WHERE id = ? LIMIT 1';
const HAS_GROUP_SQL = 'SELECT 1 AS one FROM group_user gu JOIN `group` g ON g.id = gu.group_id AND g.status = 1 ' +
  'WHERE gu.user_id = ? AND gu.status = 1 AND gu.left_seq IS NULL LIMIT 1';
const HAS_FRIEND_SQL = 'SELECT 1 AS one FROM goodfriend WHERE user_id = ? AND status = 1 AND isblack = 0 LIMIT 1';

/**
 * The tips pushed when a socket opens (lib/tips.ts): at most once per user per `chat.care.tips.windowSeconds`,
 * counted in the shared store (Redis or kv_store), so a reconnect within the window — on any worker or
 * instance — gets none. Never stored in the inbox: like the original, only a socket open at that moment sees them.
 */
export default class TipsService extends Service {
  /** The message objects to push now, in order (empty when switched off or already shown within the window). */
  async forConnection(userId: number): Promise<object[]> {
    const { enabled, windowSeconds } = this.config.chat.care.tips;
    if (!enabled) return [];
    const counter = await this.app.kvStore.incr(`tips:shown:${userId}`, windowSeconds);
    if (counter.count > 1) return [];
    const sequelize = this.app.model as unknown as Sequelize;
    const user = await selectOne<TipUser>(sequelize, TIP_USER_SQL, [ userId ]);
    if (!user) return [];
    const [ group, friend ] = await Promise.all([
      selectOne(sequelize, HAS_GROUP_SQL, [ userId ]),
      user.role === 'visitor' ? Promise.resolve(null) : selectOne(sequelize, HAS_FRIEND_SQL, [ userId ]),
    ]);
    const order: readonly TipName[] = user.role === 'visitor' ? VISITOR_TIPS : USER_TIPS;
    const shown = order.filter(tip => (tip !== 'groupList' || group) && (tip !== 'friendsList' || friend));
    const now = Date.now();
    return shown.map(tip => tipMessage(tip, user, uuidv4(), now));
  }
}
