import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AppServer, sleep } from './server';
import { ChatClient, connectReady } from './socket';

/** The pid of the process that holds the server side of this client's TCP connection (ss -tnp). */
export function serverPidOf(client: ChatClient, port: number): number {
  const localPort = (client.ws as any)._socket.localPort;
  const out = execFileSync('ss', [ '-tnpH', 'state', 'established', `( sport = :${port} and dport = :${localPort} )` ]).toString();
  // The master accepts a connection and hands its descriptor to a worker: for a moment both hold it, and
  // ss lists both. The one that serves the socket is the worker (its command line names app_worker).
  const pids = [ ...new Set([ ...out.matchAll(/pid=(\d+)/g) ].map(m => Number(m[1]))) ];
  const workers = pids.filter(pid => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('app_worker');
    } catch {
      return false;
    }
  });
  assert.strictEqual(workers.length, 1, `one worker for the connection from port ${localPort}: ${out}`);
  return workers[0];
}

/**
 * A client like the course's: on any close it reconnects after a moment and asks for what it missed
 * (chatGetmessageOffLine); its screen keeps one entry per message id.
 */
export class ReconnectingClient {
  readonly seen: any[] = [];
  current?: ChatClient;
  private stopped = false;
  reconnects = 0;

  constructor(private readonly server: AppServer, private readonly token: string) {}

  async start(): Promise<void> {
    this.current = await connectReady(this.server.port, this.token);
    this.watch(this.current);
  }

  screen(): Set<string> {
    return new Set(this.seen.map(data => data.id));
  }

  stop(): void {
    this.stopped = true;
    this.current?.ws.terminate();
  }

  private watch(client: ChatClient): void {
    // Frames that came between the welcome frame and now (the server pumps right after it) were kept by
    // the ChatClient: take them first, then listen (one tick: nothing in between).
    for (const frame of client.frames) if (frame.type === 'singleChat') this.seen.push(frame.data);
    client.ws.on('message', raw => {
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'singleChat') this.seen.push(frame.data);
    });
    client.closed.then(async () => {
      while (!this.stopped) {
        await sleep(100);
        try {
          const next = await connectReady(this.server.port, this.token);
          this.reconnects += 1;
          this.current = next;
          this.watch(next);
          await this.server.call('POST', '/api/chat/chatGetmessageOffLine', { token: this.token });
          return;
        } catch {
          // The cluster is still replacing the worker: try again.
        }
      }
    });
  }
}
