import { Service } from 'egg';
import { selectRows } from '../lib/rawQuery';
import { escapeLike } from '../lib/like';

export { escapeLike };

export interface SearchHit { id: number; username: string; avatar: string; role: string; uuid: string; nickname: string }

const COLUMNS = 'id, username, avatar, role, uuid, nickname';
// Visitors are not found (as in the original): they are met through a chat, not by name.
const VISIBLE = "status = 1 AND is_deleted = 0 AND role <> 'visitor' AND id <> ?";
const SEARCH_SQL = `SELECT ${COLUMNS} FROM \`user\` WHERE username LIKE ? ESCAPE '!' AND ${VISIBLE} ORDER BY username LIMIT ?`;

export default class UserSearchService extends Service {
  /**
   * Enabled users other than me whose username is the keyword (first) or starts with it: one range read
   * on the unique username index, never a scan of the table. One statement gives both, in order: the
   * username equal to the keyword (under the column's collation) is the shortest of those that start
   * with it, so it sorts first; a longer one that compared equal (characters the collation ignores)
   * could not exist beside it, the index being unique.
   */
  async search(meId: number, keyword: string): Promise<SearchHit[]> {
    return selectRows<SearchHit>(this.ctx.model, SEARCH_SQL, [ escapeLike(keyword) + '%', meId, this.config.chat.searchLimit ]);
  }
}
