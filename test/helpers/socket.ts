import * as assert from 'node:assert';
import * as http from 'node:http';
import WebSocket from 'ws';

export interface Frame { [key: string]: any }

/**
 * A test client of /ws, like the course client: it keeps every frame it got, answers pings (the ws
 * library does, as browsers do), and can wait for a frame or for the close.
 */
export class ChatClient {
  readonly frames: Frame[] = [];
  closeCode?: number;
  private waiters: Array<() => void> = [];
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', data => {
      try {
        this.frames.push(JSON.parse(data.toString()));
      } catch {
        this.frames.push({ raw: data.toString() });
      }
      this.wake();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise(resolve => ws.on('close', code => {
      this.closeCode = code;
      this.wake();
      resolve(code);
    }));
  }

  /** Chat frames' data (`{type:'singleChat', data}`), in arrival order. */
  chats(): Frame[] {
    return this.frames.filter(frame => frame.type === 'singleChat').map(frame => frame.data);
  }

  /** What a screen shows: one entry per message id and kind (a recall notice shares its message's id). */
  screen(): Map<string, Frame> {
    const shown = new Map<string, Frame>();
    for (const data of this.chats()) shown.set(`${data.id}:${data.actionType || 'message'}`, data);
    return shown;
  }

  async waitFor(predicate: (client: ChatClient) => boolean, ms = 5000, what = 'a frame'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 2000)}; close ${this.closeCode}`);
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForChats(count: number, ms = 5000): Promise<Frame[]> {
    await this.waitFor(client => client.chats().length >= count, ms, `${count} chat frames`);
    return this.chats();
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Opens /ws with the token in the query string, as the client does; resolves once open (or closed). */
export function connect(port: number, token: string | undefined, options: { path?: string } = {}): Promise<ChatClient> {
  const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${options.path ?? '/ws'}${query}`);
  const client = new ChatClient(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res: http.IncomingMessage) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.once('close', () => resolve(client));
    ws.once('error', err => reject(err));
  });
}

/** Opens and waits for the welcome frame: the server has registered the socket by then. */
export async function connectReady(port: number, token: string): Promise<ChatClient> {
  const client = await connect(port, token);
  await client.waitFor(c => c.frames.some(frame => frame.type === 'system'), 5000, 'the welcome frame');
  assert.strictEqual(client.closeCode, undefined, 'the socket stayed open');
  return client;
}

/**
 * The in-process app listening on a real port, for socket tests (egg-mock's supertest server; it is
 * shared by the files of a run, so it is only closed by whoever started it).
 */
export async function listenApp(app: { ready(): Promise<void> }): Promise<{ port: number; server: http.Server; close(): Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mockHttpServer: (a: unknown) => http.Server = require('egg-mock/lib/mock_http_server');
  await app.ready();
  const server = mockHttpServer(app);
  let started = false;
  if (!server.listening) {
    started = true;
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  }
  const port = (server.address() as { port: number }).port;
  return { port, server, close: () => (started ? new Promise<void>(resolve => server.close(() => resolve())) : Promise.resolve()) };
}

/**
 * A test file's sockets (mocha hooks): the app on a real port before the tests, every client opened with
 * `open` terminated after each test, the port closed after all of them.
 */
export function socketHooks(app: { ready(): Promise<void> }): { open(token: string): Promise<ChatClient>; port(): number } {
  let port = 0;
  let stop: () => Promise<void> = () => Promise.resolve();
  const clients: ChatClient[] = [];
  before(async () => {
    ({ port, close: stop } = await listenApp(app));
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.ws.terminate();
  });
  after(() => stop());
  return {
    port: () => port,
    async open(token: string) {
      const client = await connectReady(port, token);
      clients.push(client);
      return client;
    },
  };
}
