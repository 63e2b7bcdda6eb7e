import { randomUUID } from 'node:crypto';
import { Sequelize } from 'sequelize';
import WebSocket from 'ws';
import { deliveredSeq, readInbox } from '../repository/chatInbox';
import { Membership, membershipsOf, readGroupLog } from '../repository/groupLog';
import { CursorWriter } from './cursorWriter';
import { GroupCursorWriter } from './groupCursorWriter';
import { GroupEvent } from './events';
import { chatFrame } from './frames';

const PUMP_BATCH = 200;
const ACK_PREFIX = 'ack:';

interface Logger { warn(...args: unknown[]): void }

/** Where this socket stands in one group's log. */
interface GroupStream {
  /** Entries up to `joined` were before the user joined; above `left`/`closed` after they left / it was dissolved. */
  joined: number;
  left: number | null;
  closed: number | null;
  /** The group's membership version this was loaded at: a live entry of another version reloads first. */
  version: number;
  /** The highest entry known to exist. */
  last: number;
  pushed: number;
  confirmed: number;
}

/** Which groups' entries a worker hands to which sockets (ChatSocketServer keeps it). */
export interface GroupIndex { update(connection: ChatConnection, before: number[], after: number[]): void }

/** What a frame carried, remembered until the pong that confirms it: 0 is the personal inbox. */
interface SentFrame { no: number; group: number; seq: number }

/**
 * One open socket of a user on this worker, and the delivery to it of the user's inbox and of the
 * logs of the user's groups.
 *
 * Each stream (the inbox; each group's log) is pushed strictly in its sequence order: a live entry that
 * follows the last one pushed goes out at once; anything else (a gap, a fresh socket, a changed
 * membership, chatGetmessageOffLine) reads the database from the last pushed entry on. Receipt is
 * confirmed without the client's help: frames are numbered, and after pushing the server sends a
 * WebSocket ping carrying the last frame's number; the pong comes back behind every frame sent before
 * it (one TCP stream), so it proves those frames reached the client's socket, and only then the
 * cursors move (written in batches: delivery/cursorWriter.ts, groupCursorWriter.ts). A socket that dies
 * before its pong leaves the entries above the cursors to be pushed again on the next connection: at
 * least once, with stable ids.
 */
export class ChatConnection {
  readonly id = randomUUID();
  readonly openedAt = Date.now();
  /** False after a heartbeat ping until any pong: a socket still false at the next beat is dead. */
  alive = true;
  private lastPushedSeq = 0;
  private confirmedSeq = 0;
  private readonly groups = new Map<number, GroupStream>();
  private groupsStale = false;
  private frameNo = 0;
  private writesHeld = false;
  private readonly unconfirmed: SentFrame[] = [];
  private ackSentAt = 0;
  private started = false;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;
  private frameWindowStart = Date.now();
  private framesInWindow = 0;

  constructor(
    readonly ws: WebSocket,
    readonly userId: number,
    readonly sid: string,
    readonly role: string,
    private readonly sequelize: Sequelize,
    private readonly logger: Logger,
    private readonly cursors: CursorWriter,
    private readonly groupCursors: GroupCursorWriter,
    private readonly groupIndex: GroupIndex,
  ) {
    ws.on('pong', data => this.onPong(data));
    ws.once('close', () => {
      this.closed = true;
      this.groupIndex.update(this, [ ...this.groups.keys() ], []);
    });
  }

  /** Loads the confirmed positions and pushes what is above them. */
  async start(): Promise<void> {
    const confirmed = Math.max(await deliveredSeq(this.sequelize, this.userId), this.cursors.pendingFor(this.userId));
    this.lastPushedSeq = Math.max(this.lastPushedSeq, confirmed);
    this.confirmedSeq = confirmed;
    this.groupsStale = true;
    this.started = true;
    await this.pump();
  }

  /** The last inbox entry pushed on this socket. */
  get pushedSeq(): number {
    return this.lastPushedSeq;
  }

  /** The groups this socket receives, with the version and last entry it knows of each. */
  groupPositions(): Array<{ groupId: number; version: number; pushed: number }> {
    return [ ...this.groups ].map(([ groupId, stream ]) => ({ groupId, version: stream.version, pushed: stream.pushed }));
  }

  /** A new inbox entry was committed (bus event). */
  onInboxEntry(seq: number, payload: string): void {
    if (this.closed || !this.started || seq <= this.lastPushedSeq) return;
    if (seq === this.lastPushedSeq + 1 && !this.pumping) {
      this.pushFrame(payload, 0, seq);
      this.lastPushedSeq = seq;
      this.requestAck();
      return;
    }
    void this.pump();
  }

  /** A new entry of a group's log was committed (bus event, for a group this socket receives). */
  onGroupEntry(event: GroupEvent): void {
    if (this.closed || !this.started) return;
    const stream = this.groups.get(event.g);
    if (stream && event.seq <= stream.pushed) return;
    if (stream && event.v === stream.version && event.seq === stream.pushed + 1 && !this.pumping) {
      stream.last = Math.max(stream.last, event.seq);
      this.deliverGroupEntry(event.g, stream, event.seq, event.skip, event.payload);
      this.requestAck();
      return;
    }
    // A gap, or the membership changed since it was loaded: the database decides what this user gets.
    if (!stream || event.v !== stream.version) this.groupsStale = true;
    else stream.last = Math.max(stream.last, event.seq);
    void this.pump();
  }

  /** The user's memberships changed (bus event): reload them, then push what became visible. */
  onGroupsChanged(): void {
    if (this.closed) return;
    this.groupsStale = true;
    if (this.started) void this.pump();
  }

  /** Pushes every entry above the last one pushed, in order; one pump at a time, repeated if asked meanwhile. */
  async pump(): Promise<void> {
    if (this.closed || !this.started) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.pumpInbox();
        if (this.groupsStale) await this.loadGroups();
        for (const [ groupId, stream ] of this.groups) {
          if (this.closed) break;
          await this.pumpGroup(groupId, stream);
        }
      } while (this.pumpAgain && !this.closed);
    } catch (err: any) {
      // The database is unavailable: the next event, request or heartbeat pumps again.
      this.logger.warn('[chat socket] pump for user %d failed: %s', this.userId, err?.message);
    } finally {
      this.pumping = false;
    }
    this.requestAck();
  }

  /** Heartbeat catch-up: groups whose log has entries this socket has not pushed (a lost event) pump. */
  noteGroupHead(groupId: number, last: number, version: number): void {
    const stream = this.groups.get(groupId);
    if (!stream) return;
    if (version !== stream.version) this.groupsStale = true;
    stream.last = Math.max(stream.last, last);
  }

  /** True when a heartbeat found something this socket has not pushed. */
  get behind(): boolean {
    if (this.groupsStale) return true;
    for (const stream of this.groups.values()) if (Math.min(stream.last, this.upperBound(stream)) > stream.pushed) return true;
    return false;
  }

  /** Counts a frame from the client; false once it sends more than `limit` within 10 s. */
  countFrame(limit: number): boolean {
    const now = Date.now();
    if (now - this.frameWindowStart > 10_000) {
      this.frameWindowStart = now;
      this.framesInWindow = 0;
    }
    this.framesInWindow += 1;
    return this.framesInWindow <= limit;
  }

  send(frame: string): void {
    if (!this.closed && this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Sends `frame` (if any), then closes with `code`: a clean close the client can tell from a dropped line. */
  close(code: number, frame?: string): void {
    if (this.closed) return;
    if (frame) this.send(frame);
    this.closed = true;
    this.ws.close(code);
    // A peer that never answers the close handshake is cut after a while.
    setTimeout(() => this.ws.terminate(), 3000).unref();
  }

  /** Heartbeat: the protocol ping (liveness), and a confirmation asked again if its pong never came. */
  beat(): void {
    if (this.closed) return;
    this.alive = false;
    this.ws.ping();
    if (this.ackSentAt && Date.now() - this.ackSentAt > 10_000) this.ackSentAt = 0;
    this.requestAck();
  }

  private async pumpInbox(): Promise<void> {
    for (;;) {
      const entries = await readInbox(this.sequelize, this.userId, this.lastPushedSeq, PUMP_BATCH);
      for (const entry of entries) {
        if (entry.seq <= this.lastPushedSeq || this.closed) continue;
        this.pushFrame(entry.payload, 0, entry.seq);
        this.lastPushedSeq = entry.seq;
      }
      if (entries.length < PUMP_BATCH || this.closed) return;
    }
  }

  private async pumpGroup(groupId: number, stream: GroupStream): Promise<void> {
    for (;;) {
      const upTo = this.upperBound(stream);
      if (stream.pushed >= upTo) return;
      const entries = await readGroupLog(this.sequelize, groupId, stream.pushed, upTo, PUMP_BATCH);
      for (const entry of entries) {
        if (entry.seq <= stream.pushed || this.closed) continue;
        stream.last = Math.max(stream.last, entry.seq);
        this.deliverGroupEntry(groupId, stream, entry.seq, entry.skip, entry.payload);
      }
      if (entries.length < PUMP_BATCH || this.closed) return;
    }
  }

  /** Entries above this are not this user's (left, dissolved); unbounded while a member. */
  private upperBound(stream: GroupStream): number {
    return Math.min(stream.left ?? Number.MAX_SAFE_INTEGER, stream.closed ?? Number.MAX_SAFE_INTEGER);
  }

  /** Pushes one group entry if this user may see it; either way the stream moves past it. */
  private deliverGroupEntry(groupId: number, stream: GroupStream, seq: number, skip: number | null, payload: string): void {
    if (seq > this.upperBound(stream)) return;
    if (seq > stream.joined && skip !== this.userId) this.pushFrame(payload, groupId, seq);
    else this.passOver(groupId, seq);
    stream.pushed = seq;
  }

  /**
   * An entry this user does not get (their own message): confirmed with the frames before it, so the
   * cursor does not stop below the user's own last messages (a member who left with such a tail would
   * otherwise look undelivered for ever).
   */
  private passOver(groupId: number, seq: number): void {
    if (this.unconfirmed.length) this.unconfirmed.push({ no: this.frameNo, group: groupId, seq });
    else this.groupCursors.confirm(groupId, this.userId, seq);
  }

  /** (Re)reads the user's memberships; positions already pushed on this socket are kept. */
  private async loadGroups(): Promise<void> {
    this.groupsStale = false;
    const memberships = await membershipsOf(this.sequelize, this.userId);
    const before = [ ...this.groups.keys() ];
    const seen = new Set<number>();
    for (const membership of memberships) {
      seen.add(membership.groupId);
      this.groups.set(membership.groupId, this.streamOf(membership, this.groups.get(membership.groupId)));
    }
    for (const groupId of before) if (!seen.has(groupId)) this.groups.delete(groupId);
    this.groupIndex.update(this, before, [ ...this.groups.keys() ]);
  }

  private streamOf(membership: Membership, previous: GroupStream | undefined): GroupStream {
    const confirmed = Math.max(membership.delivered, this.groupCursors.pendingFor(membership.groupId, this.userId), previous?.confirmed ?? 0);
    // A member who left and joined again starts after the new joining point.
    const start = Math.max(confirmed, membership.joined, previous && previous.joined === membership.joined ? previous.pushed : 0);
    return {
      joined: membership.joined,
      left: membership.left,
      closed: membership.closed,
      version: membership.version,
      last: Math.max(membership.last, previous?.last ?? 0),
      pushed: start,
      confirmed,
    };
  }

  private pushFrame(payload: string, group: number, seq: number): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.holdWritesUntilNextTick();
    this.ws.send(chatFrame(payload));
    this.frameNo += 1;
    this.unconfirmed.push({ no: this.frameNo, group, seq });
  }

  /**
   * The frames pushed in one tick and the ping that asks for their receipt leave in one write: the
   * socket is corked until the next tick (ws corks each frame on its own; corks nest). One loopback
   * write costs about as much as building the frame, and a live push is a frame plus a ping.
   */
  private holdWritesUntilNextTick(): void {
    if (this.writesHeld) return;
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return;
    this.writesHeld = true;
    socket.cork();
    process.nextTick(() => {
      this.writesHeld = false;
      socket.uncork();
    });
  }

  private requestAck(): void {
    if (this.closed || this.ackSentAt || !this.unconfirmed.length || this.ws.readyState !== WebSocket.OPEN) return;
    this.ackSentAt = Date.now();
    this.ws.ping(Buffer.from(ACK_PREFIX + this.frameNo));
  }

  private onPong(data: Buffer): void {
    this.alive = true;
    const text = data.toString();
    if (!text.startsWith(ACK_PREFIX)) return;
    this.ackSentAt = 0;
    const no = Number(text.slice(ACK_PREFIX.length));
    if (Number.isSafeInteger(no)) this.confirmUpTo(no);
    this.requestAck();
  }

  /** Every frame up to `no` reached the client: move the cursors of the streams they carried. */
  private confirmUpTo(no: number): void {
    let inbox = 0;
    const groups = new Map<number, number>();
    while (this.unconfirmed.length && this.unconfirmed[0].no <= no) {
      const frame = this.unconfirmed.shift()!;
      if (frame.group === 0) inbox = Math.max(inbox, frame.seq);
      else groups.set(frame.group, Math.max(groups.get(frame.group) ?? 0, frame.seq));
    }
    if (inbox > this.confirmedSeq) {
      this.confirmedSeq = inbox;
      this.cursors.confirm(this.userId, inbox);
    }
    for (const [ groupId, seq ] of groups) {
      const stream = this.groups.get(groupId);
      if (stream && seq > stream.confirmed) stream.confirmed = seq;
      this.groupCursors.confirm(groupId, this.userId, seq);
    }
  }
}
