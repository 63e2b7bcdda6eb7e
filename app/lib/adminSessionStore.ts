import { KeyValueStore } from './store/KeyValueStore';

/**
 * egg-session's external store for the admin console's sessions: the session lives server-side in the
 * same store as the chat sessions (Redis, or the kv_store table in the embedded profile), the cookie
 * holds only its random id. The store's TTL is the session's idle timeout (egg-session `rolling`
 * rewrites it on every request); the absolute timeout is checked by app/middleware/admin.ts.
 */
export function adminSessionStore(store: () => KeyValueStore) {
  const key = (id: string) => `admin_session:${id}`;
  return {
    async get(id: string): Promise<unknown> {
      const raw = await store().get(key(id));
      if (!raw) return undefined;
      try {
        return JSON.parse(raw);
      } catch {
        return undefined;
      }
    },
    async set(id: string, value: unknown, maxAge: number | 'session' | undefined): Promise<void> {
      const seconds = typeof maxAge === 'number' ? Math.max(1, Math.ceil(maxAge / 1000)) : 86400;
      await store().set(key(id), JSON.stringify(value), seconds);
    },
    async destroy(id: string): Promise<void> {
      await store().del(key(id));
    },
  };
}
