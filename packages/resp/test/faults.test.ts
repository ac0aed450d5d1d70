import { isL2Error, type L2Error } from "@x/l2-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createValkey, uniquePrefix } from "./support/adapters.js";
import { sameBytes, testBytes, testKey } from "./support/keys.js";
import { recordingLogger } from "./support/recording-logger.js";
import { freePort, type RedisServer, startRedis } from "./support/redis-servers.mjs";

const MIB = 1024 * 1024;

async function creationError(promise: Promise<unknown>): Promise<L2Error> {
  try {
    const adapter = (await promise) as { close(): Promise<void> };
    await adapter.close();
  } catch (error) {
    expect(isL2Error(error), `a typed L2Error, got ${String(error)}`).toBe(true);
    return error as L2Error;
  }
  throw new Error("creation succeeded but should have failed");
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("faults at creation", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({
      password: "default-secret-pw",
      users: [
        { name: "cache", password: "cache-secret-pw" },
        // May touch only keys it does not use: the adapter's probe must fail at creation.
        { name: "narrow", password: "narrow-secret-pw", rules: "~other:* +@all" },
      ],
    });
  });
  afterAll(() => server?.stop());

  it("server down at start: IO_FAILED naming the address", async () => {
    const port = await freePort();
    const error = await creationError(createValkey({ host: "127.0.0.1", port, connection_timeout: 2 }));
    expect(error.code).toBe("IO_FAILED");
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.hint).toContain(`127.0.0.1:${port}`);
  });

  it("wrong password: typed error at creation that never shows the password", async () => {
    const logger = recordingLogger();
    const error = await creationError(
      createValkey(
        { host: server.host, port: server.port, username: "cache", password: "not-the-pw-123" },
        logger,
      ),
    );
    expect(error.code).toBe("IO_FAILED");
    expect(error.hint).toMatch(/username and password/);
    const everything = [error.message, error.hint, ...logger.lines].join("\n");
    expect(everything).not.toContain("not-the-pw-123");
  });

  it("ACL user without access to the adapter's keys: typed error at creation", async () => {
    const error = await creationError(
      createValkey({
        host: server.host,
        port: server.port,
        username: "narrow",
        password: "narrow-secret-pw",
      }),
    );
    expect(error.code).toBe("IO_FAILED");
    expect(error.message).toMatch(/NOPERM|permission/i);
    expect(error.message).not.toContain("narrow-secret-pw");
  });

  it("the right ACL user works, and its password is in no status, log line or config dump", async () => {
    const logger = recordingLogger();
    const adapter = await createValkey(
      {
        host: server.host,
        port: server.port,
        username: "cache",
        password: "cache-secret-pw",
        key_prefix: uniquePrefix(),
      },
      logger,
    );
    try {
      const key = testKey(1);
      expect((await adapter.store([key], [testBytes(1, 1000)])).ok).toBe(true);
      const dump = JSON.stringify([adapter.status(), logger.lines]);
      expect(dump).not.toContain("cache-secret-pw");
      expect(adapter.status().healthy).toBe(true);
    } finally {
      await adapter.close();
    }
  });
});

describe("server killed mid-batch, restarted empty", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  it("the store in flight fails, loads miss, nothing hangs past request_timeout, then it recovers", async () => {
    const adapter = await createValkey({
      host: server.host,
      port: server.port,
      key_prefix: uniquePrefix("kill"),
      num_workers: 2,
      request_timeout: 2,
    });
    try {
      const old = [0, 1, 2].map((i) => testKey(100 + i));
      expect(
        (
          await adapter.store(
            old,
            old.map((_, i) => testBytes(i, MIB)),
          )
        ).ok,
      ).toBe(true);
      expect(adapter.usage().totalBytesUsed).toBe(3 * MIB);

      // 48 MiB in flight, two at a time; the server dies after the first chunks went out.
      const batch = Array.from({ length: 48 }, (_, i) => testKey(200 + i));
      const storing = adapter.store(
        batch,
        batch.map((_, i) => testBytes(i, MIB)),
      );
      await new Promise((r) => setTimeout(r, 20));
      await server.kill();
      const result = await storing;
      expect(result.ok, "a store cut by the crash is not ok").toBe(false);
      expect(result.error?.code).toBe("IO_FAILED");

      const targets = old.map(() => new Uint8Array(MIB));
      const loaded = await adapter.load(old, targets);
      expect(
        [0, 1, 2].map((i) => loaded.test(i)),
        "loads while down are misses",
      ).toEqual([false, false, false]);
      expect((await adapter.lookupAndLock(old)).popcount(), "lookups while down are misses").toBe(0);
      expect(adapter.status().healthy).toBe(false);

      await server.restart();
      await until("the adapter reconnected", () => adapter.status().healthy);
      // Restarted empty (no persistence): everything is a miss, and the shared usage says 0.
      expect((await adapter.lookupAndLock(old)).popcount(), "keys lost with the server are misses").toBe(0);
      await adapter.refreshUsage();
      expect(adapter.usage().totalBytesUsed).toBe(0);

      const again = [testKey(300)];
      const bytes = testBytes(300, MIB);
      expect((await adapter.store(again, [bytes])).ok, "stores work again").toBe(true);
      const target = new Uint8Array(MIB);
      expect((await adapter.load(again, [target])).test(0)).toBe(true);
      expect(sameBytes(target, bytes)).toBe(true);
    } finally {
      await adapter.close();
    }
  }, 60_000);
});

describe("loads", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  it("a value whose size differs from the target is a miss, and the target keeps no partial bytes as a hit", async () => {
    const adapter = await createValkey({ host: server.host, port: server.port, key_prefix: uniquePrefix() });
    try {
      const key = testKey(7);
      await adapter.store([key], [testBytes(7, 4096)]);
      for (const size of [4095, 4097]) {
        expect((await adapter.load([key], [new Uint8Array(size)])).test(0), `target of ${size} bytes`).toBe(
          false,
        );
      }
      const exact = new Uint8Array(4096);
      expect((await adapter.load([key], [exact])).test(0)).toBe(true);
      expect(sameBytes(exact, testBytes(7, 4096))).toBe(true);
    } finally {
      await adapter.close();
    }
  });

  it("ttl_seconds sets a server-side expiry on each chunk", async () => {
    const adapter = await createValkey({
      host: server.host,
      port: server.port,
      key_prefix: uniquePrefix(),
      ttl_seconds: 300,
    });
    try {
      const key = testKey(8);
      await adapter.store([key], [testBytes(8, 100)]);
      const { redisCli } = await import("./support/redis-servers.mjs");
      const ttl = Number(await redisCli(server, ["ttl", adapter.wireKey(key)]));
      expect(ttl).toBeGreaterThan(200);
      expect(ttl).toBeLessThanOrEqual(300);
    } finally {
      await adapter.close();
    }
  });

  it("a chunk the server dropped behind the index (maxmemory, TTL) is a miss, and leaves the shared usage", async () => {
    const adapter = await createValkey({ host: server.host, port: server.port, key_prefix: uniquePrefix() });
    try {
      const key = testKey(9);
      await adapter.store([key], [testBytes(9, 5000)]);
      const { redisCli } = await import("./support/redis-servers.mjs");
      await redisCli(server, ["del", adapter.wireKey(key)]); // what the server's own eviction does
      expect((await adapter.load([key], [new Uint8Array(5000)])).test(0)).toBe(false);
      expect((await adapter.lookupAndLock([key])).test(0)).toBe(false);
      expect((await adapter.refreshUsage()).totalBytesUsed).toBe(0);
    } finally {
      await adapter.close();
    }
  });

  it("a chunk an LMCache process wrote (no index entry) is found, loaded and counted", async () => {
    const prefix = uniquePrefix();
    const adapter = await createValkey({ host: server.host, port: server.port, key_prefix: prefix });
    try {
      const key = testKey(10, { salt: "tenant" });
      const wire = adapter.wireKey(key);
      expect(wire.startsWith(`${prefix}@org/model@01000100@0@`)).toBe(true);
      const { redisCli } = await import("./support/redis-servers.mjs");
      await redisCli(server, ["set", wire, "x".repeat(321)]);
      const found = await adapter.lookupAndLock([key]);
      adapter.unlock([key]);
      expect(found.test(0)).toBe(true);
      const target = new Uint8Array(321);
      expect((await adapter.load([key], [target])).test(0)).toBe(true);
      expect(Buffer.from(target).toString()).toBe("x".repeat(321));
      const usage = await adapter.refreshUsage();
      expect(usage.totalBytesUsed).toBe(321);
      expect(usage.bytesByCacheSalt).toEqual({ tenant: 321 });
    } finally {
      await adapter.close();
    }
  });

  it("a hung server: calls settle within request_timeout, and a timed-out store never leaves reused bytes", async () => {
    const hung = await startRedis();
    const adapter = await createValkey({
      host: hung.host,
      port: hung.port,
      key_prefix: uniquePrefix("hung"),
      request_timeout: 1,
    });
    try {
      const key = testKey(11);
      const value = testBytes(11, 2 * MIB);
      process.kill(hung.pid, "SIGSTOP");
      const stored = await adapter.store([key], [value]);
      expect(stored.ok, "a store the server never answered").toBe(false);
      value.fill(0xee); // the caller reuses its buffer after the store settled
      expect((await adapter.load([key], [new Uint8Array(2 * MIB)])).test(0), "load while hung").toBe(false);
      process.kill(hung.pid, "SIGCONT");
      await until(
        "the server answers again",
        async () => (await adapter.lookupAndLock([testKey(12)])) !== undefined,
      );
      await new Promise((r) => setTimeout(r, 200));
      const target = new Uint8Array(2 * MIB);
      // The SET may have reached the server with the reused bytes; the DEL sent behind it removed it.
      expect((await adapter.load([key], [target])).test(0), "the timed-out store left nothing").toBe(false);
    } finally {
      process.kill(hung.pid, "SIGCONT");
      await adapter.close();
      await hung.stop();
    }
  }, 30_000);
});
