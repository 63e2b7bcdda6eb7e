import { Application } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { KeyValueStore } from '../lib/store/KeyValueStore';
import { RedisKeyValueStore } from '../lib/store/RedisKeyValueStore';
import { SqlKeyValueStore } from '../lib/store/SqlKeyValueStore';
import { BatchedTransaction, inBatchedTransaction, inDirectTransaction, inTransaction } from '../lib/transaction';
import { ContactsCache } from '../lib/contactsCache';
import { Bus } from '../delivery/events';
import { RedisBus } from '../delivery/redisBus';
import { MessengerBus } from '../delivery/messengerBus';
import { ChatSocketServer } from '../socket/server';
import { ReadRouting } from '../lib/readRouting';
import { replicasFromEnv } from '../lib/scaleOutConfig';
import { MultiStatementPool } from '../lib/multiStatementPool';

const STORE = Symbol('eggchat#kvStore');
const CONTACTS_CACHE = Symbol('eggchat#contactsCache');
const CHAT_BUS = Symbol('eggchat#chatBus');
const CHAT_SOCKETS = Symbol('eggchat#chatSockets');
const READ_ROUTING = Symbol('eggchat#readRouting');
const MULTI_STATEMENT_POOL = Symbol('eggchat#multiStatementPool');

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

  /** Events about a user to every worker and instance holding a socket of theirs (Redis pub/sub, or egg's messenger). */
  get chatBus(): Bus {
    const self = this as any;
    const app = this as unknown as Application;
    if (!self[CHAT_BUS]) {
      self[CHAT_BUS] = app.config.chat.sessionStore === 'redis' ? new RedisBus(self.redis, app.logger, app.config.chat.busChannelPrefix, app.config.chat.shardedPubsub) : new MessengerBus(app.messenger as any);
    }
    return self[CHAT_BUS];
  },

  /**
   * Read replicas with read-your-writes (lib/readRouting.ts), or null without DATABASE_REPLICA_URLS. The
   * writer markers live in Redis: without it (embedded profile) replicas are not used.
   */
  get readRouting(): ReadRouting | null {
    const self = this as any;
    const app = this as unknown as Application;
    if (self[READ_ROUTING] === undefined) {
      const replicas = replicasFromEnv();
      self[READ_ROUTING] = replicas.length && app.config.chat.sessionStore === 'redis'
        ? new ReadRouting(replicas, app.config.chat.replicas, () => (app as any).ctxStorage?.getStore(), () => app.kvStore, app.logger)
        : null;
    }
    return self[READ_ROUTING];
  },

  /** This worker's /ws sockets (attached to the HTTP server in app.ts). */
  get chatSockets(): ChatSocketServer {
    const self = this as any;
    const app = this as unknown as Application;
    if (!self[CHAT_SOCKETS]) self[CHAT_SOCKETS] = new ChatSocketServer(app, app.chatBus, app.config.chat.socket);
    return self[CHAT_SOCKETS];
  },

  /** Drops this worker's sockets, writes their last confirmations and closes the bus, if they were ever started. */
  async stopChatSockets(): Promise<void> {
    const self = this as any;
    await self[CHAT_SOCKETS]?.close().catch(() => undefined);
    await self[CHAT_BUS]?.close().catch(() => undefined);
  },

  /** MySQL with chat.batchedSend: the send path's multi-statement connections (lib/multiStatementPool.ts); otherwise null. */
  get multiStatementPool(): MultiStatementPool | null {
    const self = this as any;
    const app = this as unknown as Application;
    if (self[MULTI_STATEMENT_POOL] === undefined) {
      const sequelize = app.model as unknown as Sequelize;
      self[MULTI_STATEMENT_POOL] = app.config.chat.batchedSend && sequelize.getDialect() === 'mysql'
        ? new MultiStatementPool(sequelize, app.config.chat.dbQueryTimeoutMs)
        : null;
    }
    return self[MULTI_STATEMENT_POOL];
  },

  /** Closes the multi-statement pool if it was opened (app.ts, once the requests in flight are done). */
  async closeMultiStatementPool(this: Application): Promise<void> {
    await (this as any)[MULTI_STATEMENT_POOL]?.close().catch(() => undefined);
  },

  /** One transaction around `work` (IMMEDIATE on SQLite, deadlock retry on MySQL). */
  transaction<T>(this: Application, work: (t: Transaction) => Promise<T>): Promise<T> {
    return inTransaction(this.model as unknown as Sequelize, work);
  },

  /** MySQL: work in batches of statements on the multi-statement pool (lib/transaction.ts inBatchedTransaction); null without that pool. */
  batchedTransaction<T>(this: Application, work: (t: BatchedTransaction) => Promise<T>): Promise<T> | null {
    const pool = this.multiStatementPool;
    return pool ? inBatchedTransaction(this.model as unknown as Sequelize, pool, work) : null;
  },

  /** The same, for work made only of raw statements and afterCommit hooks (lib/transaction.ts inDirectTransaction). */
  directTransaction<T>(this: Application, work: (t: Transaction) => Promise<T>): Promise<T> {
    return inDirectTransaction(this.model as unknown as Sequelize, work);
  },
};
