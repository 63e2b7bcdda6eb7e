import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import { AppServer, sleep } from './server';
import { ChatClient, connectReady } from './socket';

/** The pid of the process that holds the server side of this client's TCP connection (ss -tnp). */
export function serverPidOf(client: ChatClient, port: number): number {
  const localPort = (client.ws as any)._socket.localPort;
  const out = execFileSync('ss', [ '-tnpH', 'state', 'established', `( sport = :${port} and dport = :${localPort} )` ]).toString();
  const match = /pid=(\d+)/.exec(out);
  assert.ok(match, `no server process for the connection from port ${localPort}: ${out}`);
  return Number(match[1]);
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
