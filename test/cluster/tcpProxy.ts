import * as net from 'node:net';

/**
 * A TCP proxy on loopback that can be cut like a network partition: while cut, it forwards nothing in
 * either direction and keeps every connection open (bytes are dropped, nothing is refused or reset, so
 * the client sees silence, as when packets are lost), and new connections are accepted and left silent.
 * Healing resets the connections that lived through the cut (their streams lost bytes: as after a
 * partition, they are dead) and forwards again for new ones.
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream?: net.Socket }>();
  private cut = false;

  constructor(readonly listenPort: number, readonly targetPort: number, readonly host = '127.0.0.1') {
    this.server = net.createServer(client => this.accept(client));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.listenPort, this.host, () => resolve());
    });
  }

  /** Starts the partition: nothing passes any more, in either direction. */
  partition(): void {
    this.cut = true;
  }

  /** Ends it: connections that lived through the cut are reset; new ones are forwarded. */
  heal(): void {
    this.cut = false;
    for (const pair of [ ...this.pairs ]) if ((pair as any).hurt) this.drop(pair);
  }

  async close(): Promise<void> {
    for (const pair of [ ...this.pairs ]) this.drop(pair);
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const pair: { client: net.Socket; upstream?: net.Socket; hurt?: boolean } = { client };
    this.pairs.add(pair);
    client.on('error', () => this.drop(pair));
    client.on('close', () => this.drop(pair));
    if (this.cut) {
      // Accepted (the SYN got through before the cut, say) but silent: what it sends is lost.
      pair.hurt = true;
      client.on('data', () => undefined);
      return;
    }
    const upstream = net.connect(this.targetPort, this.host);
    pair.upstream = upstream;
    upstream.on('error', () => this.drop(pair));
    upstream.on('close', () => this.drop(pair));
    client.on('data', data => {
      if (this.cut) pair.hurt = true;
      else upstream.write(data);
    });
    upstream.on('data', data => {
      if (this.cut) pair.hurt = true;
      else client.write(data);
    });
  }

  private drop(pair: { client: net.Socket; upstream?: net.Socket }): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
