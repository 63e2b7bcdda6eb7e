import { Application } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { KeyValueStore } from '../lib/store/KeyValueStore';
import { RedisKeyValueStore } from '../lib/store/RedisKeyValueStore';
import { SqlKeyValueStore } from '../lib/store/SqlKeyValueStore';
import { inTransaction } from '../lib/transaction';
import { ContactsCache } from '../lib/contactsCache';

const STORE = Symbol('eggchat#kvStore');
const CONTACTS_CACHE = Symbol('eggchat#contactsCache');

export default {
  /** Sessions and counters: Redis in the production profile, the database in the embedded one. */
  get kvStore(): KeyValueStore {
    const self = this as any;
    const app = this as unknown as Application;
    if (!self[STORE]) {
      self[STORE] = app.config.chat.sessionStore === 'redis'
        ? new RedisKeyValueStore(self.redis)
        : new SqlKeyValueStore(app.model as unknown as Sequelize);
    }
    return self[STORE];
  },

  /** Serialized contact lists of this worker (see app/service/goodfriend.ts contactsJson). */
  get contactsCache(): ContactsCache {
    const self = this as any;
    if (!self[CONTACTS_CACHE]) {
      const { maxBytes, ttlSeconds } = (this as unknown as Application).config.chat.contactsCache;
      self[CONTACTS_CACHE] = new ContactsCache(maxBytes, ttlSeconds * 1000);
    }
    return self[CONTACTS_CACHE];
  },

  /** One transaction around `work` (IMMEDIATE on SQLite, deadlock retry on MySQL). */
  transaction<T>(this: Application, work: (t: Transaction) => Promise<T>): Promise<T> {
    return inTransaction(this.model as unknown as Sequelize, work);
  },
};
