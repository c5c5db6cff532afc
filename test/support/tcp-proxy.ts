import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/** What the proxy does with connections: forward them, hold them silent, or not accept them. */
export type ProxyMode = 'open' | 'stalled' | 'refusing';

interface Pair {
  client: Socket;
  /** Absent while a connection accepted during a stall waits to be forwarded. */
  upstream?: Socket;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL, Redis), so a test can break the
 * network between the service and it without touching the server, which other test runs share:
 * - stall(): connections stay open and new ones are accepted, but no byte goes either way (a
 *   frozen or overloaded server); restore() forwards what waited, as such a server answers late;
 * - reset(): every open connection is reset (the server restarted, a middlebox dropped them);
 * - refuse(): the port stops listening, so connections are refused (the server is down).
 */
export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private server: Server | undefined;
  private mode: ProxyMode = 'open';

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private listenPort: number,
  ) {}

  /** A proxy to `target` (a redis:// or postgres:// URL, or host:port) on a free loopback port. */
  static async start(target: string): Promise<TcpProxy> {
    const url = new URL(target.includes('://') ? target : `tcp://${target}`);
    const proxy = new TcpProxy(url.hostname, Number(url.port), 0);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.listenPort);
    return proxied.toString();
  }

  /** Connections currently open through the proxy (held ones included). */
  get connections(): number {
    return this.pairs.size;
  }

  stall(): void {
    this.mode = 'stalled';
    for (const pair of this.pairs) {
      pair.client.pause();
      pair.upstream?.pause();
    }
  }

  reset(): void {
    for (const pair of this.pairs) this.drop(pair);
  }

  async refuse(): Promise<void> {
    this.mode = 'refusing';
    this.reset();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Back to forwarding: held connections are connected and what they sent is delivered. */
  async restore(): Promise<void> {
    const wasRefusing = this.mode === 'refusing';
    this.mode = 'open';
    if (wasRefusing) await this.listen();
    for (const pair of this.pairs) {
      if (pair.upstream) {
        pair.client.resume();
        pair.upstream.resume();
      } else {
        this.forward(pair);
      }
    }
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private async listen(): Promise<void> {
    const server = createServer({ pauseOnConnect: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listenPort = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private accept(client: Socket): void {
    if (this.mode === 'refusing') return void client.resetAndDestroy();
    const pair: Pair = { client };
    this.pairs.add(pair);
    client.on('error', () => this.drop(pair));
    client.on('close', () => this.drop(pair));
    // A stalled proxy has accepted the connection (the client sees it connected) but says nothing.
    if (this.mode === 'open') this.forward(pair);
  }

  private forward(pair: Pair): void {
    const upstream = connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => this.drop(pair));
    upstream.on('close', () => this.drop(pair));
    // Not pipe(): a piped stream resumes itself when its destination drains, even during a stall.
    pair.client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => pair.client.write(chunk));
    pair.client.on('end', () => upstream.end());
    upstream.on('end', () => pair.client.end());
    pair.client.resume();
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (pair.upstream && !pair.upstream.destroyed) pair.upstream.resetAndDestroy();
  }
}
