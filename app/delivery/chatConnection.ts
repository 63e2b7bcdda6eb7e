import { randomUUID } from 'node:crypto';
import { Sequelize } from 'sequelize';
import WebSocket from 'ws';
import { deliveredSeq, readInbox } from '../repository/chatInbox';
import { CursorWriter } from './cursorWriter';
import { chatFrame } from './frames';

const PUMP_BATCH = 200;
const ACK_PREFIX = 'ack:';

interface Logger { warn(...args: unknown[]): void }

/**
 * One open socket of a user on this worker, and the delivery of that user's inbox to it.
 *
 * Entries are pushed strictly in the user's sequence order: a live entry that follows the last one
 * pushed goes out at once; anything else (a gap, a fresh socket, chatGetmessageOffLine) reads the
 * inbox from the last pushed entry on. Receipt is confirmed without the client's help: after pushing,
 * the server sends a WebSocket ping carrying the last sequence number; the pong comes back behind
 * every frame sent before it (one TCP stream), so the pong proves those frames reached the client's
 * socket, and only then the cursor moves (written in batches, delivery/cursorWriter.ts). A socket that dies before its pong leaves the entries above
 * the cursor to be pushed again on the next connection: at least once, with stable ids.
 */
export class ChatConnection {
  readonly id = randomUUID();
  readonly openedAt = Date.now();
  /** False after a heartbeat ping until any pong: a socket still false at the next beat is dead. */
  alive = true;
  private lastPushedSeq = 0;
  private confirmedSeq = 0;
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
  ) {
    ws.on('pong', data => this.onPong(data));
    ws.once('close', () => { this.closed = true; });
  }

  /** Loads the confirmed position and pushes what is above it. */
  async start(): Promise<void> {
    const confirmed = Math.max(await deliveredSeq(this.sequelize, this.userId), this.cursors.pendingFor(this.userId));
    this.lastPushedSeq = Math.max(this.lastPushedSeq, confirmed);
    this.confirmedSeq = confirmed;
    this.started = true;
    await this.pump();
  }

  /** The last entry pushed on this socket. */
  get pushedSeq(): number {
    return this.lastPushedSeq;
  }

  /** A new inbox entry was committed (bus event). */
  onInboxEntry(seq: number, payload: string): void {
    if (this.closed || !this.started || seq <= this.lastPushedSeq) return;
    if (seq === this.lastPushedSeq + 1 && !this.pumping) {
      this.push(seq, payload);
      this.requestAck();
      return;
    }
    void this.pump();
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
        for (;;) {
          const entries = await readInbox(this.sequelize, this.userId, this.lastPushedSeq, PUMP_BATCH);
          for (const entry of entries) {
            if (entry.seq > this.lastPushedSeq) this.push(entry.seq, entry.payload);
          }
          if (entries.length < PUMP_BATCH || this.closed) break;
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

  private push(seq: number, payload: string): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(chatFrame(payload));
    this.lastPushedSeq = seq;
  }

  private requestAck(): void {
    if (this.closed || this.ackSentAt || this.lastPushedSeq <= this.confirmedSeq || this.ws.readyState !== WebSocket.OPEN) return;
    this.ackSentAt = Date.now();
    this.ws.ping(Buffer.from(ACK_PREFIX + this.lastPushedSeq));
  }

  private onPong(data: Buffer): void {
    this.alive = true;
    const text = data.toString();
    if (!text.startsWith(ACK_PREFIX)) return;
    this.ackSentAt = 0;
    const seq = Number(text.slice(ACK_PREFIX.length));
    if (Number.isSafeInteger(seq) && seq > this.confirmedSeq && seq <= this.lastPushedSeq) {
      this.confirmedSeq = seq;
      this.cursors.confirm(this.userId, seq);
    }
    this.requestAck();
  }
}
