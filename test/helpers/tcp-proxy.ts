/**
 * A TCP proxy in front of a real server, to take the server "away" from a client and bring it back as a
 * network fault would: `cut()` resets every open connection and refuses new ones; `restore()` accepts
 * again on the same port.
 */
import net from 'node:net';
import type { TestContext } from 'node:test';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** A proxy on a free loopback port, closed when the test ends. */
  static async start(
    t: Pick<TestContext, 'after'>,
    target: { host: string; port: number },
  ): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.#listen(0);
    t.after(() => proxy.close());
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  #listen(port: number): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#target.port, this.#target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.#server = server;
    return new Promise((resolve) =>
      server.listen(port, '127.0.0.1', () => {
        this.#port = (server.address() as net.AddressInfo).port;
        resolve();
      }),
    );
  }

  /** Resets every connection and stops accepting (connecting then fails with ECONNREFUSED). */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.resetAndDestroy();
    this.#sockets.clear();
    if (server) await new Promise((r) => server.close(r));
  }

  /** Accepts again, on the same port. */
  async restore(): Promise<void> {
    if (!this.#server) await this.#listen(this.#port);
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
