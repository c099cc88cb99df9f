import net from 'node:net';

/**
 * A TCP relay in front of a real server (drachtio's admin port, FreeSWITCH's event socket), so a test
 * can take the server away from the app and give it back, as a crash and restart would, without
 * touching the server itself.
 */
export class TcpProxy {
  private readonly open = new Set<net.Socket>();
  private up = true;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }, listenHost = '127.0.0.1'): Promise<TcpProxy> {
    let self: TcpProxy | undefined;
    const server = net.createServer((client) => {
      const proxy = self as TcpProxy;
      if (!proxy.up) return void client.destroy(); // the server is "down": connections are dropped at once
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        proxy.open.add(s);
        s.on('close', () => proxy.open.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, listenHost, () => resolve());
    });
    self = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return self;
  }

  /** The server goes away: every connection through the relay is dropped, new ones are refused. */
  cut(): void {
    this.up = false;
    for (const s of this.open) s.destroy();
  }

  /**
   * The server hangs: connections stay open but nothing more passes either way (a deadlocked process
   * keeps its sockets). New connections are relayed.
   */
  freeze(): void {
    for (const s of this.open) {
      s.unpipe();
      s.pause();
    }
  }

  /** The server is back. */
  restore(): void {
    this.up = true;
  }

  /** Connections relayed now (both sides counted). */
  get connections(): number {
    return this.open.size;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
