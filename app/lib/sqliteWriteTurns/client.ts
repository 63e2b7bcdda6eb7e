import * as net from 'node:net';
import { GRANT, RELEASE, REQUEST, WAITING } from './protocol';

/** A holder told that someone waits still lets its own writes in for this long after its grant (fewer handovers). */
const QUANTUM_MS = 4;
/** A write that waited this long for its turn goes ahead anyway (SQLite's busy timeout still orders it). */
const GRANT_TIMEOUT_MS = 1000;
/** After a failed or lost connection to the agent, the next attempt waits at least this long. */
const RECONNECT_MS = 1000;

type Leave = () => void;
const NOTHING: Leave = () => undefined;

interface Waiter { resolve(leave: Leave): void; timer: NodeJS.Timeout }

/**
 * SQLite lets one connection write at a time. Within a worker, write transactions queue (lib/transaction.ts);
 * between workers only SQLite's busy handler decided: a worker finding the file locked sleeps 1, 2, 5, …
 * then 100 ms between attempts, while the worker holding it starts its next transaction within a
 * microsecond of the last commit. Under a flood of writes from both, one worker's writes waited for
 * up to a second and a half (two processes writing back to back: docs/BENCHMARKS.md, "SQLite's writers
 * take turns").
 *
 * So the workers take turns, ordered by the agent (./server.ts) over a Unix socket: a worker asks once and
 * then keeps the turn for as many writes as it has, until another worker asks; it then finishes what has
 * already started (and what arrives within QUANTUM_MS of its grant) and hands the turn over. Uncontended,
 * a write costs nothing more than a boolean test. Every write of this process — transactions and the
 * plain writes outside them — runs inside `run`.
 *
 * Never a condition for writing: without the agent (not started, restarting, or silent for GRANT_TIMEOUT_MS)
 * writes go ahead under the busy timeout, as before.
 */
export class WriteTurns {
  private socket?: net.Socket;
  private connecting = false;
  private lastAttempt = 0;
  private held = false;
  private requested = false;
  private contended = false;
  private grantedAt = 0;
  private users = 0;
  private releaseCheck = false;
  private closed = false;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly socketPath: string) {}

  /** Whether this process has the turn now (kept between writes until another worker asks). */
  get holding(): boolean {
    return this.held;
  }

  /** Runs `write` in this process's turn. */
  async run<T>(write: () => Promise<T>): Promise<T> {
    const leave = await this.enter();
    try {
      return await write();
    } finally {
      leave();
    }
  }

  /** Closes the connection to the agent (the turn, if held, goes to the next worker). */
  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.lost();
  }

  private enter(): Promise<Leave> {
    if (!this.socket) {
      this.connect();
      return Promise.resolve(NOTHING);
    }
    if (this.held && (!this.contended || Date.now() - this.grantedAt < QUANTUM_MS)) return Promise.resolve(this.join());
    return new Promise(resolve => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          resolve(NOTHING);
        }, GRANT_TIMEOUT_MS),
      };
      this.waiting.push(waiter);
      if (!this.requested && !this.held) {
        this.requested = true;
        this.socket!.write(Buffer.of(REQUEST));
      }
    });
  }

  private join(): Leave {
    this.users++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.users--;
      if (this.users === 0) this.maybeRelease();
    };
  }

  /**
   * With nobody waiting the turn is kept. With someone waiting it is handed over once this process's
   * writes have finished — checked after the microtasks, so that the next write of this process's queue,
   * which starts in one, can still join within the quantum.
   */
  private maybeRelease() {
    if (!this.held || !this.contended || this.releaseCheck) return;
    this.releaseCheck = true;
    setImmediate(() => {
      this.releaseCheck = false;
      if (!this.held || !this.contended || this.users > 0) return;
      this.held = false;
      this.contended = false;
      this.socket?.write(Buffer.of(RELEASE));
      // Writes that arrived after the quantum wait for the turn to come back.
      if (this.waiting.length && this.socket) {
        this.requested = true;
        this.socket.write(Buffer.of(REQUEST));
      }
    });
  }

  private onGrant() {
    this.held = true;
    this.requested = false;
    this.contended = false;
    this.grantedAt = Date.now();
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(this.join());
    }
  }

  private onWaiting() {
    if (!this.held) return;
    this.contended = true;
    if (this.users === 0) this.maybeRelease();
  }

  private connect() {
    if (this.closed || this.connecting || Date.now() - this.lastAttempt < RECONNECT_MS) return;
    this.connecting = true;
    this.lastAttempt = Date.now();
    const socket = net.connect(this.socketPath);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      this.connecting = false;
      this.socket = socket;
    });
    socket.on('data', chunk => {
      for (const byte of chunk) {
        if (byte === GRANT) this.onGrant();
        else if (byte === WAITING) this.onWaiting();
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.connecting = false;
      if (this.socket === socket) this.lost();
    });
  }

  /** The agent is gone: whoever waits goes ahead (SQLite's busy timeout orders them). */
  private lost() {
    this.socket = undefined;
    this.held = false;
    this.requested = false;
    this.contended = false;
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(NOTHING);
    }
  }
}
