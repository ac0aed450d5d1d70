import { isL2Error } from "@x/l2-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createValkey, uniquePrefix } from "./support/adapters.js";
import { sameBytes, testBytes, testKey } from "./support/keys.js";
import {
  makeTlsCertificates,
  type RedisCluster,
  type RedisServer,
  startCluster,
  startRedis,
  type TlsCertificates,
} from "./support/redis-servers.mjs";

describe("TLS with certificates made by the test (private CA, mutual TLS)", () => {
  let certs: TlsCertificates;
  let server: RedisServer;
  beforeAll(async () => {
    certs = await makeTlsCertificates();
    server = await startRedis({ tls: { ...certs, requireClientCert: true } });
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
    certs?.remove();
  });

  it("round-trips with tls_ca_file + client certificate and key", async () => {
    const adapter = await createValkey({
      host: server.host,
      port: server.port,
      key_prefix: uniquePrefix("tls"),
      tls_enable: true,
      tls_ca_file: certs.caFile,
      tls_cert_file: certs.clientCertFile,
      tls_key_file: certs.clientKeyFile,
    });
    try {
      const key = testKey(1);
      const bytes = testBytes(1, 256 * 1024);
      expect((await adapter.store([key], [bytes])).ok).toBe(true);
      const target = new Uint8Array(bytes.byteLength);
      expect((await adapter.load([key], [target])).test(0)).toBe(true);
      expect(sameBytes(target, bytes)).toBe(true);
      expect(adapter.status().tlsEnable).toBe(true);
    } finally {
      await adapter.close();
    }
  });

  it("an untrusted server certificate (OS store only, as in LMCache) is a typed error at creation", async () => {
    const error = await createValkey({
      host: server.host,
      port: server.port,
      tls_enable: true,
      connection_timeout: 3,
    }).then(
      (a) => a.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(isL2Error(error, "IO_FAILED"), String(error)).toBe(true);
  });

  it("without the client certificate the server refuses, as a typed error at creation", async () => {
    const error = await createValkey({
      host: server.host,
      port: server.port,
      tls_enable: true,
      tls_ca_file: certs.caFile,
      connection_timeout: 3,
    }).then(
      (a) => a.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(isL2Error(error, "IO_FAILED"), String(error)).toBe(true);
  });

  it("a TLS file that cannot be read is CONFIG_INVALID naming the field", async () => {
    const error = await createValkey({
      host: server.host,
      port: server.port,
      tls_enable: true,
      tls_ca_file: "/nonexistent/ca.pem",
    }).catch((e: unknown) => e);
    expect(isL2Error(error, "CONFIG_INVALID")).toBe(true);
    expect((error as { field?: string }).field).toBe("tls_ca_file");
  });
});

describe("cluster", () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startCluster({ primaries: 3 });
  }, 30_000);
  afterAll(() => cluster?.stop());

  it("status() reports health and each primary's memory; keys spread over all primaries", async () => {
    const adapter = await createValkey({
      startup_nodes: cluster.startupNodes,
      cluster_mode: true,
      key_prefix: uniquePrefix("mem"),
    });
    try {
      const keys = Array.from({ length: 30 }, (_, i) => testKey(i));
      await adapter.store(
        keys,
        keys.map((_, i) => testBytes(i, 1000)),
      );
      await adapter.refreshUsage();
      expect(adapter.usage().totalBytesUsed).toBe(30_000);
      const status = adapter.status();
      expect(status.healthy).toBe(true);
      const memory = status.nodeMemory as Record<string, { used_memory: number }>;
      expect(Object.keys(memory).sort()).toEqual(cluster.nodes.map((n) => `${n.host}:${n.port}`).sort());
      for (const m of Object.values(memory)) expect(m.used_memory).toBeGreaterThan(0);
      const { redisCli } = await import("./support/redis-servers.mjs");
      const perNode = await Promise.all(cluster.nodes.map((n) => redisCli(n, ["dbsize"])));
      for (const count of perNode)
        expect(Number(count), "every primary holds some chunks").toBeGreaterThan(0);
    } finally {
      await adapter.close();
    }
  });

  it("slots migrated during a run: no error reaches the caller, every load returns the right bytes", async () => {
    const adapter = await createValkey({
      startup_nodes: cluster.startupNodes,
      cluster_mode: true,
      key_prefix: uniquePrefix("move"),
      num_workers: 4,
    });
    try {
      const keys = Array.from({ length: 60 }, (_, i) => testKey(1000 + i));
      const bytes = keys.map((_, i) => testBytes(1000 + i, 32 * 1024));
      expect((await adapter.store(keys, bytes)).ok).toBe(true);
      let moving = true;
      const reshard = cluster.reshard(0, 1, 2000).finally(() => {
        moving = false;
      });
      let rounds = 0;
      while (moving || rounds < 3) {
        rounds++;
        const targets = keys.map(() => new Uint8Array(32 * 1024));
        const loaded = await adapter.load(keys, targets);
        expect(loaded.popcount(), `round ${rounds}: every key loads`).toBe(keys.length);
        targets.forEach((t, i) => {
          expect(sameBytes(t, bytes[i]!), `round ${rounds}: bytes of key ${i}`).toBe(true);
        });
        const extra = [testKey(5000 + rounds)];
        expect((await adapter.store(extra, [testBytes(rounds, 1000)])).ok, `round ${rounds}: store`).toBe(
          true,
        );
      }
      await reshard;
      await adapter.refreshUsage();
      expect(adapter.usage().totalBytesUsed, "usage moved with the slots").toBe(
        60 * 32 * 1024 + rounds * 1000,
      );
    } finally {
      await adapter.close();
    }
  }, 60_000);
});
