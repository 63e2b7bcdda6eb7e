import { Application } from 'egg';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { hostname } from 'node:os';
import { Sequelize } from 'sequelize';
import WebSocket, { WebSocketServer } from 'ws';
import { AuthenticatedUser } from '../extend/context';
import { Bus, BusEvent, GroupEvent } from '../delivery/events';
import { ChatConnection, GroupIndex } from '../delivery/chatConnection';
import { lastSeqs } from '../repository/chatInbox';
import { groupHeads } from '../repository/groupLog';
import { CursorWriter } from '../delivery/cursorWriter';
import { GroupCursorWriter } from '../delivery/groupCursorWriter';
import { CLOSE, FRAME_TEXT, chatFrame, failFrame, forceLogoutFrame, pingFrame, pongFrame, systemFrame } from '../delivery/frames';
import { HttpError } from '../lib/errors';
import { toHttpError } from '../lib/errors/toHttpError';
import { MSG } from '../lib/messages';

/** Deletes a presence key only while it still names this worker (Lua: one atomic step). */
const DEL_IF_EQUALS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * The store family (KeyValueStore.setInFamily) where every worker of every instance keeps its count of
 * open sockets, member `<host>:<pid>`, written a second after a change and at each heartbeat, expiring
 * after 1.5 heartbeats: the console's "online now" is their sum (service/adminDashboard.ts), a worker
 * that stops removes its entry, one that dies drops out by itself.
 */
export const ONLINE_FAMILY = 'online_sockets:';

/** How long after a socket opens or closes this worker reports its count (one write for a burst). */
const COUNT_REPORT_DELAY_MS = 1000;

/** Sockets re-checked per statement at a heartbeat (the IN lists stay short). */
const BEAT_BATCH = 500;

export interface SocketLimits {
  /** Largest frame a client may send, in bytes (ws closes the socket with 1009 above it). */
  maxPayloadBytes: number;
  maxSocketsPerWorker: number;
  /** Frames a client may send within 10 s (its pings included). */
  maxFramesPer10s: number;
  heartbeatMs: number;
  groupCursorFlushMs: number;
}

/**
 * GET /ws?token= on egg's own HTTP server (the `upgrade` event): the same checks as the token
 * middleware, then a ChatConnection per socket. The token is read from the query string here only,
 * and the URL is never logged.
 */
export class ChatSocketServer {
  private readonly wss: WebSocketServer;
  private readonly byUser = new Map<number, Set<ChatConnection>>();
  /** Sockets of this worker by the groups whose entries they receive. */
  private readonly byGroup = new Map<number, Set<ChatConnection>>();
  private readonly groupIndex: GroupIndex = { update: (connection, before, after) => this.indexGroups(connection, before, after) };
  private heartbeat?: NodeJS.Timeout;
  /** A report of the socket count due soon (after sockets opened or closed): at most one a second. */
  private countReport?: NodeJS.Timeout;
  private stopping = false;
  private count = 0;
  private readonly presenceValue = `${hostname()}:${process.pid}`;
  private readonly cursors: CursorWriter;
  private readonly groupCursors: GroupCursorWriter;

  constructor(private readonly app: Application, private readonly bus: Bus, private readonly limits: SocketLimits) {
    this.cursors = new CursorWriter(app.model as unknown as Sequelize, app.logger);
    this.groupCursors = new GroupCursorWriter(app.model as unknown as Sequelize, app.logger, limits.groupCursorFlushMs);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
    bus.onEvent((userId, event) => this.dispatch(userId, event));
    bus.onGroupEvent(event => this.dispatchGroup(event));
    // Events may have been missed meanwhile, membership changes too: reload and pump.
    bus.onRecovered(() => this.forEach(connection => connection.onGroupsChanged()));
  }

  /** Sockets open on this worker. */
  get size(): number {
    return this.count;
  }

  /** This worker's member in ONLINE_FAMILY. */
  get workerId(): string {
    return this.presenceValue;
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // A client that goes away during the checks must not crash the worker.
      socket.on('error', () => undefined);
      this.onUpgrade(req, socket, head).catch(err => {
        this.app.logger.warn('[chat socket] upgrade failed: %s', err?.message);
        refuse(socket, 503);
      });
    });
    this.heartbeat = setInterval(() => this.beat(), this.limits.heartbeatMs);
    this.heartbeat.unref();
    this.publishCount();
  }

  /** Worker stopping: drop every socket without a close frame, so clients reconnect (to another worker). */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.countReport) clearTimeout(this.countReport);
    this.forEach(connection => connection.ws.terminate());
    // Confirmations received so far are kept (before the database pool closes); this worker stops counting.
    await Promise.all([ this.cursors.flush(), this.groupCursors.flush(), this.app.kvStore.del(ONLINE_FAMILY + this.presenceValue).catch(() => undefined) ]);
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url || '/', 'http://localhost');
    if (url.pathname !== '/ws') return refuse(socket, 404);
    if (this.stopping || this.count >= this.limits.maxSocketsPerWorker) return refuse(socket, 503);
    const token = url.searchParams.get('token') || '';
    let me: AuthenticatedUser | undefined;
    let refusal: string | undefined;
    if (!token) {
      refusal = FRAME_TEXT.missingToken;
    } else {
      try {
        const ctx = this.app.createAnonymousContext(req as any);
        me = await ctx.service.token.authenticate(token);
      } catch (err) {
        const httpError: HttpError = toHttpError(err);
        // A dependency down: no socket now; the client retries.
        if (httpError.status >= 500) return refuse(socket, 503);
        refusal = httpError.message;
      }
    }
    if (!me) {
      // The original's answer: the failure as a frame, then a close the client reads as "logged out"
      // (a disabled account with the original's text for it).
      const disabled = refusal === MSG.authUserDisabled;
      this.wss.handleUpgrade(req, socket, head, ws => {
        ws.on('error', () => undefined);
        ws.send(failFrame(disabled ? FRAME_TEXT.disabled : refusal || MSG.authInvalid));
        ws.close(disabled ? CLOSE.disabled : CLOSE.sessionEnded);
      });
      return;
    }
    // Subscribed before the handshake completes: the client's first chatGetmessageOffLine finds this socket.
    await this.bus.subscribe(me.id);
    if (socket.destroyed) {
      await this.bus.unsubscribe(me.id);
      return;
    }
    const user = me;
    this.wss.handleUpgrade(req, socket, head, ws => this.onOpen(ws, user));
  }

  private onOpen(ws: WebSocket, me: AuthenticatedUser): void {
    const connection = new ChatConnection(ws, me.id, me.sid, me.role, this.app.model as unknown as Sequelize, this.app.logger,
      this.cursors, this.groupCursors, this.groupIndex);
    this.add(connection);
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.remove(connection);
      if (!this.byUser.has(me.id)) this.markOffline(me.id);
      void this.bus.unsubscribe(me.id).catch(() => undefined);
    });
    ws.on('message', (data, isBinary) => this.onFrame(connection, data as Buffer, isBinary));
    connection.send(systemFrame(FRAME_TEXT.welcome));
    this.markOnline(me.id);
    if (this.app.config.chat.singleSession) {
      // One live socket per account: the older ones, here and on every other worker, are logged out.
      this.closeOlder(me.id, connection.openedAt, connection.id);
      this.bus.publish(me.id, { k: 'opened', conn: connection.id, at: connection.openedAt }).catch(() => undefined);
    }
    connection.start().catch(err => this.app.logger.warn('[chat socket] start for user %d failed: %s', me.id, err?.message));
    this.sendTips(connection);
  }

  /** The tips on connect (service/tips.ts), unnumbered chat frames after the welcome; best effort. */
  private sendTips(connection: ChatConnection): void {
    this.app.createAnonymousContext().service.tips.forConnection(connection.userId)
      .then(tips => tips.forEach(tip => connection.send(chatFrame(JSON.stringify(tip)))))
      .catch(err => this.app.logger.warn('[chat socket] tips for user %d failed: %s', connection.userId, err?.message));
  }

  private onFrame(connection: ChatConnection, data: Buffer, isBinary: boolean): void {
    if (!connection.countFrame(this.limits.maxFramesPer10s)) return connection.close(CLOSE.policy, failFrame('消息发送过于频繁'));
    if (isBinary) return connection.close(CLOSE.policy, failFrame('只接受文本消息'));
    let frame: any;
    try {
      frame = JSON.parse(data.toString('utf8'));
    } catch {
      // The original ignores what it cannot read, apart from a bare "ping".
      if (data.toString('utf8') === 'ping') connection.send(pongFrame());
      return;
    }
    if (frame && frame.type === 'ping') connection.send(pongFrame());
    // Anything else the client sends is ignored: messages go through POST /api/chat/socket/sendmessage.
  }

  /** What the bus says about a user with sockets here. */
  private dispatch(userId: number, event: BusEvent): void {
    const connections = this.byUser.get(userId);
    if (!connections) return;
    for (const connection of [ ...connections ]) {
      switch (event.k) {
        case 'msg':
          connection.onInboxEntry(event.seq, event.payload);
          break;
        case 'pump':
          void connection.pump();
          break;
        case 'session':
          if (connection.sid !== event.keep) connection.close(CLOSE.forceLogout, forceLogoutFrame());
          break;
        case 'ended':
          if (connection.sid === event.sid) connection.close(CLOSE.sessionEnded);
          break;
        case 'disabled':
          connection.close(CLOSE.disabled, failFrame(FRAME_TEXT.disabled));
          break;
        case 'opened':
          if (this.app.config.chat.singleSession) this.closeOlder(userId, event.at, event.conn);
          break;
        case 'groups':
          connection.onGroupsChanged();
          break;
        case 'password':
          if (connection.sid !== event.keep) connection.close(CLOSE.sessionEnded, failFrame(FRAME_TEXT.passwordChanged));
          break;
        default:
          break;
      }
    }
  }

  /** A group's new entry: to this worker's sockets of its members (each decides what its user may see). */
  private dispatchGroup(event: GroupEvent): void {
    const connections = this.byGroup.get(event.g);
    if (!connections) return;
    for (const connection of [ ...connections ]) connection.onGroupEntry(event);
  }

  private indexGroups(connection: ChatConnection, before: number[], after: number[]): void {
    const keep = new Set(after);
    for (const groupId of before) {
      if (keep.has(groupId)) continue;
      const set = this.byGroup.get(groupId);
      if (set && set.delete(connection) && set.size === 0) this.byGroup.delete(groupId);
    }
    for (const groupId of after) {
      let set = this.byGroup.get(groupId);
      if (!set) this.byGroup.set(groupId, set = new Set());
      set.add(connection);
    }
  }

  /** Logs out the user's sockets opened before (`at`, `conn`): the newest socket wins on every worker. */
  private closeOlder(userId: number, at: number, conn: string): void {
    for (const connection of [ ...(this.byUser.get(userId) ?? []) ]) {
      if (connection.id === conn) continue;
      const older = connection.openedAt < at || (connection.openedAt === at && connection.id < conn);
      if (older) connection.close(CLOSE.forceLogout, forceLogoutFrame());
    }
  }

  /**
   * Presence, as the original's `online_<id>` strings (production profile): which instance and worker
   * holds the user's socket, expiring after two heartbeats unless refreshed. Delivery does not depend on
   * it (the per-user channel does); it is for operators and future features.
   */
  private markOnline(userId: number): void {
    const redis = (this.app as any).redis;
    if (!redis || this.app.config.chat.sessionStore !== 'redis') return;
    const ttl = Math.ceil(this.limits.heartbeatMs * 2.5 / 1000);
    redis.set(`online_${userId}`, this.presenceValue, 'EX', ttl).catch(() => undefined);
  }

  /** Sockets opened or closed: the count is reported within a second rather than at the next heartbeat. */
  private countChanged(): void {
    if (this.countReport || this.stopping) return;
    this.countReport = setTimeout(() => this.publishCount(), COUNT_REPORT_DELAY_MS);
    this.countReport.unref();
  }

  /** This worker's socket count into ONLINE_FAMILY (both profiles: Redis, or the kv_store table); best effort. */
  private publishCount(): void {
    if (this.countReport) clearTimeout(this.countReport);
    this.countReport = undefined;
    if (this.stopping) return;
    const ttlSeconds = Math.max(1, Math.ceil(this.limits.heartbeatMs * 1.5 / 1000));
    this.app.kvStore.setInFamily(ONLINE_FAMILY, this.presenceValue, String(this.count), ttlSeconds)
      .catch(err => this.app.logger.warn('[chat socket] online count not stored: %s', err?.message));
  }

  private markOffline(userId: number): void {
    const redis = (this.app as any).redis;
    if (!redis || this.app.config.chat.sessionStore !== 'redis') return;
    // Only if it is still ours: the user may have reconnected to another worker meanwhile.
    redis.eval(DEL_IF_EQUALS, 1, `online_${userId}`, this.presenceValue).catch(() => undefined);
  }

  /**
   * Every heartbeat: reap the dead, ping the living (the original's `{type:'ping'}` too), then for all
   * sockets of this worker at once — a few statements, whatever their number — re-check the sessions
   * (logout elsewhere, a disabled account, a changed password) and push what an event did not bring.
   */
  private beat(): void {
    for (const userId of this.byUser.keys()) this.markOnline(userId);
    this.publishCount();
    const live: ChatConnection[] = [];
    this.forEach(connection => {
      if (!connection.alive) {
        connection.ws.terminate();
        return;
      }
      connection.beat();
      connection.send(pingFrame());
      live.push(connection);
    });
    for (let i = 0; i < live.length; i += BEAT_BATCH) {
      const batch = live.slice(i, i + BEAT_BATCH);
      this.recheck(batch).catch(err => this.app.logger.warn('[chat socket] session re-check failed: %s', err?.message));
      this.catchUp(batch).catch(err => this.app.logger.warn('[chat socket] catch-up failed: %s', err?.message));
    }
  }

  private async recheck(batch: ChatConnection[]): Promise<void> {
    const refusals = await this.app.createAnonymousContext().service.token.recheck(batch.map(c => ({ userId: c.userId, sid: c.sid })));
    refusals.forEach((refusal, i) => {
      if (!refusal) return;
      if (refusal === MSG.authUserDisabled) batch[i].close(CLOSE.disabled, failFrame(FRAME_TEXT.disabled));
      else batch[i].close(CLOSE.sessionEnded, failFrame(refusal));
    });
  }

  /** Sockets whose inbox or groups hold more than they pushed (a lost event, a missed membership change) pump. */
  private async catchUp(batch: ChatConnection[]): Promise<void> {
    const sequelize = this.app.model as unknown as Sequelize;
    const groupIds = new Set<number>();
    for (const connection of batch) for (const { groupId } of connection.groupPositions()) groupIds.add(groupId);
    const [ last, heads ] = await Promise.all([
      lastSeqs(sequelize, [ ...new Set(batch.map(c => c.userId)) ]),
      groupHeads(sequelize, [ ...groupIds ]),
    ]);
    for (const connection of batch) {
      for (const { groupId } of connection.groupPositions()) {
        const head = heads.get(groupId);
        if (head) connection.noteGroupHead(groupId, head.last, head.version);
      }
      if ((last.get(connection.userId) ?? 0) > connection.pushedSeq || connection.behind) void connection.pump();
    }
  }

  private add(connection: ChatConnection): void {
    let set = this.byUser.get(connection.userId);
    if (!set) this.byUser.set(connection.userId, set = new Set());
    set.add(connection);
    this.count += 1;
    this.countChanged();
  }

  private remove(connection: ChatConnection): void {
    const set = this.byUser.get(connection.userId);
    if (!set || !set.delete(connection)) return;
    this.count -= 1;
    if (set.size === 0) this.byUser.delete(connection.userId);
    this.countChanged();
  }

  private forEach(visit: (connection: ChatConnection) => void): void {
    for (const set of this.byUser.values()) for (const connection of [ ...set ]) visit(connection);
  }
}

/** Answers an upgrade that will not become a socket with a bare HTTP status, then drops the connection. */
function refuse(socket: Duplex, status: 404 | 503): void {
  if (socket.destroyed) return;
  const text = status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n\r\n` +
    JSON.stringify({ msg: 'fail', data: status === 404 ? MSG.notFound : MSG.unavailable }));
}
