import { connect } from "node:net";
import type { L2Logger } from "@x/l2-core";

const NOTIFY_TIMEOUT_MS = 5000;

/**
 * Tells the PD proxy that every batch of a request reached the decode node: one JSON line
 * `{"type":"pd_request_done","req_id":"..."}\n` on a short TCP connection. Fire and forget: the store
 * never waits for it, and a failure is logged, not fatal.
 */
export class ProxyNotifier {
  readonly #host: string;
  readonly #port: number;
  readonly #logger: L2Logger;
  readonly #inflight = new Set<Promise<boolean>>();

  constructor(host: string, port: number, logger: L2Logger) {
    this.#host = host;
    this.#port = port;
    this.#logger = logger;
  }

  notify(reqId: string): void {
    const done = this.#send(reqId);
    this.#inflight.add(done);
    done.then(() => this.#inflight.delete(done));
  }

  /** Resolves when every notification sent so far settled (for tests and close). */
  async flush(): Promise<void> {
    await Promise.all([...this.#inflight]);
  }

  #send(reqId: string): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.#host, port: this.#port });
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        this.#logger.warn("proxy notification failed (the store itself succeeded)", {
          proxy: `${this.#host}:${this.#port}`,
          reqId,
          reason,
        });
        socket.destroy();
        resolve(false);
      };
      socket.setTimeout(NOTIFY_TIMEOUT_MS, () => fail("timeout"));
      socket.once("error", (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
      socket.once("connect", () => {
        socket.end(`${JSON.stringify({ type: "pd_request_done", req_id: reqId })}\n`, () => {
          settled = true;
          socket.destroy();
          resolve(true);
        });
      });
    });
  }
}
