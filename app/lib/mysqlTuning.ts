import { Sequelize } from 'sequelize';

/**
 * mysql2 waits for an answer forever: a database (or a network) that stops answering without closing the
 * connection would hang every request. So each query on the app's connections gets a deadline; past it the
 * query fails with PROTOCOL_SEQUENCE_TIMEOUT (→ 503, see lib/errors/toHttpError.ts) and the connection is
 * destroyed — the pool never hands it out again and the server rolls back whatever transaction it held.
 */
export function limitMysqlQueryTime(sequelize: Sequelize, timeoutMs: number): void {
  if (sequelize.getDialect() !== 'mysql' || !(timeoutMs > 0)) return;
  const manager = (sequelize as any).connectionManager;
  if (manager.__eggchatQueryDeadline) return;
  const getConnection = manager.getConnection.bind(manager);
  const limited = new WeakSet<object>();
  manager.getConnection = async (options: unknown) => {
    const connection = await getConnection(options);
    if (!limited.has(connection)) {
      limited.add(connection);
      limitConnectionQueryTime(connection, timeoutMs);
    }
    return connection;
  };
  manager.__eggchatQueryDeadline = true;
}

/** The same deadline on one connection made outside Sequelize's pool (lib/multiStatementPool.ts). */
export function limitConnectionQueryTime(connection: any, timeoutMs: number): void {
  if (!(timeoutMs > 0)) return;
  for (const method of [ 'query', 'execute' ]) withDeadline(connection, method, timeoutMs);
}

function withDeadline(connection: any, method: string, timeoutMs: number) {
  const original = connection[method];
  connection[method] = function(this: any, ...args: any[]) {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback !== 'function') return original.apply(this, args);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    args[last] = (...results: any[]) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      callback(...results);
    };
    const command = original.apply(this, args);
    if (!settled) {
      timer = setTimeout(() => {
        if (settled) return;
        const err: any = new Error(`MySQL did not answer within ${timeoutMs} ms`);
        err.code = 'PROTOCOL_SEQUENCE_TIMEOUT';
        err.fatal = true;
        // destroy() marks the connection closing: Sequelize's pool validation drops it.
        connection.destroy();
        connection.stream?.destroy?.();
        args[last](err);
      }, timeoutMs);
    }
    return command;
  };
}
