import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RespL2Adapter } from "../src/resp-adapter.js";
import { createValkey, uniquePrefix } from "./support/adapters.js";
import { testKey } from "./support/keys.js";
import { type RedisServer, startRedis } from "./support/redis-servers.mjs";

/** The other cache server: a real second process with its own adapter on the same Redis. */
class Peer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];

  constructor(server: RedisServer, prefix: string) {
    const script = fileURLToPath(new URL("./support/peer-process.mjs", import.meta.url));
    this.#child = spawn(process.execPath, [script, server.host, String(server.port), prefix], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    this.#child.stderr.on("data", (d) => process.stderr.write(d));
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on("line", (line) => this.#waiting.shift()?.(line));
  }

  next(): Promise<any> {
    return new Promise((resolve) => this.#waiting.push((line) => resolve(JSON.parse(line))));
  }

  send(request: Record<string, unknown>): Promise<any> {
    const answer = this.next();
    this.#child.stdin.write(`${JSON.stringify(request)}\n`);
    return answer;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise((r) => this.#child.once("exit", r));
    this.#child.stdin.write(`${JSON.stringify({ op: "exit" })}\n`);
    const killer = setTimeout(() => this.#child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  }
}

describe("two cache servers sharing one Redis (two processes)", () => {
  let server: RedisServer;
  let peer: Peer;
  let local: RespL2Adapter;
  const prefix = uniquePrefix("shared");

  beforeAll(async () => {
    server = await startRedis();
    peer = new Peer(server, prefix);
    expect((await peer.next()).ready).toBe(true);
    local = await createValkey({ host: server.host, port: server.port, key_prefix: prefix });
  }, 30_000);
  afterAll(async () => {
    await Promise.allSettled([peer?.stop(), local?.close()]);
    await server?.stop();
  });

  it("each sees the other's keys, and both report the same usage", async () => {
    expect((await peer.send({ op: "store", seeds: [1, 2, 3], size: 10_000 })).ok).toBe(true);
    await local.store([testKey(4)], [new Uint8Array(5_000)]);

    const seen = await local.lookupAndLock([1, 2, 3].map((s) => testKey(s)));
    local.unlock([1, 2, 3].map((s) => testKey(s)));
    expect(seen.popcount(), "the local adapter finds the peer's keys").toBe(3);
    expect((await peer.send({ op: "lookup", seeds: [4] })).found, "the peer finds the local key").toEqual([
      true,
    ]);

    const peerUsage = await peer.send({ op: "usage" });
    const localUsage = await local.refreshUsage();
    expect(localUsage.totalBytesUsed).toBe(35_000);
    expect(peerUsage.totalBytesUsed, "both processes report the same bytes").toBe(localUsage.totalBytesUsed);
    expect(peerUsage.bytesByCacheSalt).toEqual(localUsage.bytesByCacheSalt);
  });

  it("when one evicts, the other's usage drops", async () => {
    await peer.send({ op: "delete", seeds: [1, 2] });
    const after = await local.refreshUsage();
    expect(after.totalBytesUsed, "usage after the peer deleted 20 000 bytes").toBe(15_000);
    expect((await local.lookupAndLock([testKey(1)])).test(0), "the evicted key is a miss here too").toBe(
      false,
    );
    await local.delete([testKey(4)]);
    expect((await peer.send({ op: "usage" })).totalBytesUsed, "the peer sees the local eviction").toBe(
      10_000,
    );
  });

  it("usage() catches up without an explicit refresh (periodic re-read)", async () => {
    await peer.send({ op: "store", seeds: [9], size: 1_000 });
    const deadline = Date.now() + 5_000;
    while (local.usage().totalBytesUsed !== 11_000 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(local.usage().totalBytesUsed).toBe(11_000);
  });
});
