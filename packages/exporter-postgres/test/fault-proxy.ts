import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';

// A TCP proxy in front of the test server for the fault tests (F1, F3, F7, the listener's health
// check): it stops forwarding, loses answers, or holds them, while its sockets stay open.

/** What the proxy does with the bytes of its connections. */
export type ProxyMode =
  /** Both directions pass. */
  | 'forward'
  /** Nothing passes and nothing is kept: a host that hangs, a path that blackholes. */
  | 'stall'
  /** Requests reach the server, its answers are lost: writes commit, the client never hears. */
  | 'drop-replies'
  /** The server's bytes are kept and delivered in one write by `release()`. */
  | 'hold';

interface ProxiedConnection {
  client: Socket;
  upstream: Socket;
  held: Buffer[];
  upstreamClosed: boolean;
}

/** A TCP proxy in front of PostgreSQL whose forwarding can be stopped while its sockets stay open. */
export class FaultProxy {
  readonly #server: Server;
  readonly #upstream: { host: string; port: number };
  readonly #connections = new Set<ProxiedConnection>();
  #mode: ProxyMode = 'forward';
  #droppedReplies = 0;

  private constructor(upstream: { host: string; port: number }) {
    this.#upstream = upstream;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(databaseUrl: string): Promise<FaultProxy> {
    const url = new URL(databaseUrl);
    const proxy = new FaultProxy({ host: url.hostname, port: Number(url.port || 5432) });
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `databaseUrl` pointed at the proxy. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.#server.address() as AddressInfo).port);
    return url.toString();
  }

  /** The client-side sockets still open. */
  openSockets(): Socket[] {
    return [...this.#connections].map((connection) => connection.client);
  }

  /** Chunks of the server's bytes dropped so far. */
  get droppedReplies(): number {
    return this.#droppedReplies;
  }

  /** Connections whose server side has closed while held. */
  get closedUpstreams(): number {
    return [...this.#connections].filter((connection) => connection.upstreamClosed).length;
  }

  set mode(mode: ProxyMode) {
    this.#mode = mode;
  }

  /** Delivers what `hold` kept, each connection's bytes in one write, then forwards again. */
  release(): void {
    this.#mode = 'forward';
    for (const connection of this.#connections) {
      const bytes = Buffer.concat(connection.held.splice(0));
      if (bytes.length > 0) connection.client.write(bytes);
      if (connection.upstreamClosed) connection.client.end();
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.#connections) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = connect(this.#upstream.port, this.#upstream.host);
    const connection: ProxiedConnection = { client, upstream, held: [], upstreamClosed: false };
    this.#connections.add(connection);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', () => {
      this.#connections.delete(connection);
      upstream.destroy();
    });
    upstream.on('close', () => {
      connection.upstreamClosed = true;
      // While holding, the client gets the server's last words (and the close) on release.
      if (this.#mode !== 'hold') client.destroy();
    });
    client.on('data', (chunk) => {
      if (this.#mode === 'forward' || this.#mode === 'drop-replies' || this.#mode === 'hold') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.#mode === 'forward') client.write(chunk);
      else if (this.#mode === 'hold') connection.held.push(chunk);
      else this.#droppedReplies++;
    });
  }
}
