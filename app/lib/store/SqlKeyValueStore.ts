import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { FamilyEntry, KeyValueStore } from './KeyValueStore';
import { inTransaction } from '../transaction';
import { selectRows } from '../rawQuery';

/** The `kv_store` table (see its migration): the embedded profile's Redis, shared by all workers. */
export class SqlKeyValueStore implements KeyValueStore {
  private readonly upsertSql: string;

  constructor(private readonly sequelize: Sequelize) {
    this.upsertSql = sequelize.getDialect() === 'mysql'
      ? 'INSERT INTO kv_store (`key`, value, expires_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value), expires_at = VALUES(expires_at)'
      : 'INSERT INTO kv_store (`key`, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(`key`) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at';
  }

  async get(key: string): Promise<string | null> {
    // Every authenticated request reads its session here: straight to the connection (lib/rawQuery.ts).
    const rows = await selectRows<{ value: string }>(this.sequelize,
      'SELECT value FROM kv_store WHERE `key` = ? AND (expires_at IS NULL OR expires_at > ?)', [ key, Date.now() ]);
    return rows.length ? rows[0].value : null;
  }

  async getMany(keys: string[]): Promise<Array<string | null>> {
    if (!keys.length) return [];
    const rows = await selectRows<{ key: string; value: string }>(this.sequelize,
      `SELECT \`key\`, value FROM kv_store WHERE \`key\` IN (${keys.map(() => '?').join(', ')}) AND (expires_at IS NULL OR expires_at > ?)`, [ ...keys, Date.now() ]);
    const byKey = new Map(rows.map(row => [ row.key, row.value ]));
    return keys.map(key => byKey.get(key) ?? null);
  }

  async set(key: string, value: string, ttlSeconds: number, transaction?: unknown): Promise<void> {
    await this.sequelize.query(this.upsertSql, {
      replacements: [ key, value, Date.now() + ttlSeconds * 1000 ],
      transaction: transaction as Transaction | undefined,
    });
    // Expired rows are swept now and then rather than by a timer in every worker.
    if (Math.random() < 0.01) {
      await this.sequelize.query('DELETE FROM kv_store WHERE expires_at < ?', {
        replacements: [ Date.now() ],
        transaction: transaction as Transaction | undefined,
      });
    }
  }

  async del(key: string): Promise<void> {
    await this.sequelize.query('DELETE FROM kv_store WHERE `key` = ?', { replacements: [ key ] });
  }

  async delIfStartsWith(key: string, prefix: string): Promise<void> {
    // substr rather than LIKE: no wildcard in the prefix to escape (both count code points). Compared as
    // hex: byte for byte on both, where MySQL's = would follow the column's case-insensitive collation.
    await this.sequelize.query('DELETE FROM kv_store WHERE `key` = ? AND hex(substr(value, 1, ?)) = hex(?)', {
      replacements: [ key, Array.from(prefix).length, prefix ],
    });
  }

  async peek(key: string): Promise<{ count: number; ttlMs: number } | null> {
    const now = Date.now();
    const rows = await selectRows<{ value: string; expires_at: number | string }>(this.sequelize,
      'SELECT value, expires_at FROM kv_store WHERE `key` = ? AND expires_at > ?', [ key, now ]);
    return rows.length ? { count: Number(rows[0].value), ttlMs: Number(rows[0].expires_at) - now } : null;
  }

  async setInFamily(family: string, member: string, value: string, ttlSeconds: number, transaction?: unknown): Promise<void> {
    // The family is the keys' common prefix: a range of the primary key lists it (familyRange).
    await this.set(family + member, value, ttlSeconds, transaction);
  }

  async listFamily(family: string): Promise<FamilyEntry[]> {
    const now = Date.now();
    const [ where, values ] = this.familyRange(family);
    const rows = await selectRows<{ key: string; value: string; expires_at: number | string | null }>(this.sequelize,
      `SELECT \`key\`, value, expires_at FROM kv_store WHERE ${where} AND (expires_at IS NULL OR expires_at > ?)`, [ ...values, now ]);
    return rows
      .filter(row => String(row.key).startsWith(family))
      .map(row => ({ member: String(row.key).slice(family.length), value: row.value, ttlMs: row.expires_at === null ? Number.MAX_SAFE_INTEGER : Number(row.expires_at) - now }));
  }

  async deleteFamily(family: string): Promise<void> {
    const [ where, values ] = this.familyRange(family);
    await this.sequelize.query(`DELETE FROM kv_store WHERE ${where}`, { replacements: values });
  }

  /**
   * The keys that start with `family`, as an index range: a LIKE prefix on MySQL (its collation would
   * make a plain range follow case and accent rules), the binary range [family, family's successor) on
   * SQLite (whose LIKE ignores case and so cannot use the primary key).
   */
  private familyRange(family: string): [ string, unknown[] ] {
    if (this.sequelize.getDialect() === 'mysql') {
      return [ "`key` LIKE ? ESCAPE '!'", [ family.replace(/[!%_]/g, char => `!${char}`) + '%' ]];
    }
    const last = family.charCodeAt(family.length - 1);
    return [ '`key` >= ? AND `key` < ?', [ family, family.slice(0, -1) + String.fromCharCode(last + 1) ]];
  }

  async incr(key: string, windowSeconds: number): Promise<{ count: number; ttlMs: number }> {
    return inTransaction(this.sequelize, async transaction => {
      const now = Date.now();
      const rows = await this.sequelize.query<{ value: string; expires_at: number | string }>(
        'SELECT value, expires_at FROM kv_store WHERE `key` = ?' + (this.sequelize.getDialect() === 'mysql' ? ' FOR UPDATE' : ''),
        { replacements: [ key ], type: QueryTypes.SELECT, transaction },
      );
      const current = rows[0];
      const live = current && Number(current.expires_at) > now;
      const count = live ? Number(current.value) + 1 : 1;
      const expiresAt = live ? Number(current.expires_at) : now + windowSeconds * 1000;
      await this.sequelize.query(this.upsertSql, { replacements: [ key, String(count), expiresAt ], transaction });
      return { count, ttlMs: expiresAt - now };
    });
  }
}
