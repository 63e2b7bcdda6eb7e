import { Service } from 'egg';
import { QueryTypes } from 'sequelize';

export interface SearchHit { id: number; username: string; avatar: string; role: string; uuid: string; nickname: string }

/** LIKE metacharacters in user text match themselves only ('!' is the escape character). */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, match => '!' + match);
}

const COLUMNS = 'id, username, avatar, role, uuid, nickname';
const VISIBLE = 'status = 1 AND is_deleted = 0 AND id <> :me';

export default class UserSearchService extends Service {
  /**
   * Enabled users other than me whose username is the keyword (first) or starts with it. Both queries
   * are range reads on the unique username index, never a scan of the table.
   */
  async search(meId: number, keyword: string): Promise<SearchHit[]> {
    const limit = this.config.chat.searchLimit;
    const sequelize = this.ctx.model;
    const [ exact, prefixed ] = await Promise.all([
      sequelize.query<SearchHit>(`SELECT ${COLUMNS} FROM \`user\` WHERE username = :keyword AND ${VISIBLE} LIMIT 1`, {
        replacements: { keyword, me: meId }, type: QueryTypes.SELECT,
      }),
      sequelize.query<SearchHit>(
        `SELECT ${COLUMNS} FROM \`user\` WHERE username LIKE :pattern ESCAPE '!' AND ${VISIBLE} ORDER BY username LIMIT :limit`, {
          replacements: { pattern: escapeLike(keyword) + '%', me: meId, limit: limit + 1 }, type: QueryTypes.SELECT,
        }),
    ]);
    const hits = [ ...exact, ...prefixed.filter(row => !exact.length || row.id !== exact[0].id) ];
    return hits.slice(0, limit);
  }
}
