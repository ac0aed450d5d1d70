/** One accepted connection as the guard sees it. */
export interface GuardedConnection {
  readonly host: string;
  /** Set once the peer passed the handshake; unauthenticated connections are reaped first. */
  authenticated: boolean;
  /** True while the connection has work pending (an authenticated link is then never reaped). */
  busy(): boolean;
  destroy(): void;
}

export interface ConnectionLimits {
  /** Connections held at once, both ports together. */
  maxTotal: number;
  /** Connections held at once from one source address. */
  maxPerHost: number;
}

/**
 * Bounds the connections a receiver holds, in total and per source address. A new connection over a
 * limit takes the place of the oldest idle one: unauthenticated connections first, then authenticated
 * links with no pending batch. A peer that opens connections and sits on them (silent or trickling
 * bytes) cannot lock senders out, it only loses its own oldest ones: a real sender's connection is the
 * newest when it arrives and is authenticated after one round trip. When nothing can be reaped, the new
 * connection is refused.
 */
export class ConnectionGuard {
  readonly #limits: ConnectionLimits;
  /** Insertion order = age, oldest first. */
  readonly #connections = new Set<GuardedConnection>();
  readonly #perHost = new Map<string, number>();
  #reaped = 0;
  #refused = 0;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#connections.size;
  }

  /** Connections closed to make room, and connections refused because nothing was idle. */
  get counters(): { reaped: number; refused: number } {
    return { reaped: this.#reaped, refused: this.#refused };
  }

  /** Makes room for `connection` and tracks it; false = refused (the caller closes it). */
  admit(connection: GuardedConnection): boolean {
    const host = connection.host;
    if ((this.#perHost.get(host) ?? 0) >= this.#limits.maxPerHost && !this.#reap(host)) {
      this.#refused++;
      return false;
    }
    if (this.#connections.size >= this.#limits.maxTotal && !this.#reap(undefined)) {
      this.#refused++;
      return false;
    }
    this.#connections.add(connection);
    this.#perHost.set(host, (this.#perHost.get(host) ?? 0) + 1);
    return true;
  }

  release(connection: GuardedConnection): void {
    if (!this.#connections.delete(connection)) return;
    const n = (this.#perHost.get(connection.host) ?? 1) - 1;
    if (n === 0) this.#perHost.delete(connection.host);
    else this.#perHost.set(connection.host, n);
  }

  /** Closes the oldest idle connection (of `host`, if given); false when there is none. */
  #reap(host: string | undefined): boolean {
    let victim: GuardedConnection | undefined;
    for (const c of this.#connections) {
      if (host !== undefined && c.host !== host) continue;
      if (!c.authenticated) {
        victim = c;
        break;
      }
      if (!victim && !c.busy()) victim = c;
    }
    if (!victim) return false;
    this.release(victim);
    victim.destroy();
    this.#reaped++;
    return true;
  }
}
