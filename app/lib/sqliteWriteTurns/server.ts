import * as fs from 'node:fs';
import * as net from 'node:net';
import { GRANT, RELEASE, REQUEST, WAITING } from './protocol';

/**
 * The agent's side of SQLite's write turns (see ./client.ts for why): one holder at a time per SQLite file,
 * the others served in the order they asked. The holder is told when someone waits, and keeps the turn
 * until it lets go or its connection closes (a worker that dies gives the turn back at once).
 *
 * It only orders the workers' attempts: SQLite's own lock still guarantees one writer, so a client that
 * cannot reach this server (or waits too long for it) simply writes as before, under the busy timeout.
 */
export class WriteTurnServer {
  private server?: net.Server;
  private holder: net.Socket | null = null;
  private readonly queue: net.Socket[] = [];
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly socketPath: string) {}

  /** Listens on the socket path; false when another live server already serves it (then its clients use that one). */
  async listen(): Promise<boolean> {
    try {
      await this.bind();
      return true;
    } catch (err: any) {
      if (err?.code !== 'EADDRINUSE') throw err;
      if (await answers(this.socketPath)) return false;
      // Left behind by a process killed before it could remove it.
      fs.rmSync(this.socketPath, { force: true });
      await this.bind();
      return true;
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>(resolve => server.close(() => resolve()));
  }

  private bind(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer(socket => this.accept(socket));
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.removeListener('error', reject);
        this.server = server;
        resolve();
      });
    });
  }

  private accept(socket: net.Socket) {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('data', chunk => {
      for (const byte of chunk) {
        if (byte === REQUEST) this.request(socket);
        else if (byte === RELEASE) this.release(socket);
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.release(socket);
    });
  }

  private request(socket: net.Socket) {
    if (this.holder === socket || this.queue.includes(socket)) return;
    if (!this.holder) return this.grant(socket);
    this.queue.push(socket);
    send(this.holder, WAITING);
  }

  private release(socket: net.Socket) {
    if (this.holder !== socket) {
      const at = this.queue.indexOf(socket);
      if (at !== -1) this.queue.splice(at, 1);
      return;
    }
    this.holder = null;
    const next = this.queue.shift();
    if (next) this.grant(next);
  }

  private grant(socket: net.Socket) {
    this.holder = socket;
    send(socket, GRANT);
    if (this.queue.length) send(socket, WAITING);
  }
}

function send(socket: net.Socket, byte: number) {
  if (!socket.destroyed) socket.write(Buffer.of(byte));
}

/** Whether a server answers on `socketPath` (a connection is accepted). */
function answers(socketPath: string): Promise<boolean> {
  return new Promise(resolve => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
