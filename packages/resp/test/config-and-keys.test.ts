import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isL2Error, ObjectKey } from "@x/l2-core";
import { describe, expect, it } from "vitest";
import { slotTags } from "../src/hash-slot.js";
import {
  decodeWireKey,
  encodeWireKey,
  keySlot,
  RespL2AdapterConfig,
  respConnectionOptions,
  ValkeyL2AdapterConfig,
  valkeyConnectionOptions,
} from "../src/index.js";
import { ServerIndexLayout } from "../src/server-index.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

function configError(parse: () => unknown) {
  try {
    parse();
  } catch (error) {
    expect(isL2Error(error, "CONFIG_INVALID"), String(error)).toBe(true);
    return error as Error & { field?: string; hint?: string };
  }
  throw new Error("config was accepted but should not be");
}

describe("resp config: LMCache's keys and defaults", () => {
  it("host and port are required; num_workers 8, username/password empty, max_capacity_gb 0", () => {
    const c = RespL2AdapterConfig.fromDict({ type: "resp", host: "10.0.0.1", port: 6379 });
    expect([c.host, c.port, c.numWorkers, c.username, c.password, c.maxCapacityGb]).toEqual([
      "10.0.0.1",
      6379,
      8,
      "",
      "",
      0,
    ]);
    expect(configError(() => RespL2AdapterConfig.fromDict({ type: "resp", port: 1 })).field).toBe("host");
    expect(configError(() => RespL2AdapterConfig.fromDict({ type: "resp", host: "h" })).field).toBe("port");
    expect(
      configError(() => RespL2AdapterConfig.fromDict({ type: "resp", host: "h", port: 1, num_workers: 0 }))
        .field,
    ).toBe("num_workers");
    expect(
      configError(() => RespL2AdapterConfig.fromDict({ type: "resp", host: "h", port: 1, key_prefix: "x" }))
        .field,
    ).toBe("key_prefix");
  });
});

describe("resp: LMCache's environment overrides", () => {
  it("LMCACHE_RESP_HOST / _PORT / _USERNAME / _PASSWORD override the config at creation", () => {
    const c = RespL2AdapterConfig.fromDict({
      type: "resp",
      host: "h",
      port: 1,
      username: "u",
      password: "p",
    });
    expect(respConnectionOptions(c, {})).toMatchObject({
      nodes: [{ host: "h", port: 1 }],
      username: "u",
      password: "p",
    });
    const env = {
      LMCACHE_RESP_HOST: "e",
      LMCACHE_RESP_PORT: "2",
      LMCACHE_RESP_USERNAME: "eu",
      LMCACHE_RESP_PASSWORD: "ep",
    };
    expect(respConnectionOptions(c, env)).toMatchObject({
      nodes: [{ host: "e", port: 2 }],
      username: "eu",
      password: "ep",
    });
    expect(configError(() => respConnectionOptions(c, { LMCACHE_RESP_PORT: "x" })).field).toBe("port");
  });
});

describe("valkey config: LMCache's keys and defaults", () => {
  it("defaults: standalone, 8 workers, timeouts 5 s / 10 s, no prefix, no TLS, no TTL", () => {
    const c = ValkeyL2AdapterConfig.fromDict({ type: "valkey", startup_nodes: "h1:6379, h2:6380" });
    expect(c.nodes).toEqual([
      { host: "h1", port: 6379 },
      { host: "h2", port: 6380 },
    ]);
    expect([
      c.clusterMode,
      c.numWorkers,
      c.requestTimeout,
      c.connectionTimeout,
      c.keyPrefix,
      c.tlsEnable,
      c.ttlSeconds,
    ]).toEqual([false, 8, 5, 10, "", false, 0]);
    const o = valkeyConnectionOptions(c);
    expect(o.nodes, "standalone uses the first startup node, as LMCache").toEqual([
      { host: "h1", port: 6379 },
    ]);
    expect([o.requestTimeoutMs, o.connectionTimeoutMs]).toEqual([5000, 10_000]);
  });

  it("host + port is the single-node shortcut; cluster_mode keeps every seed", () => {
    expect(ValkeyL2AdapterConfig.fromDict({ type: "valkey", host: "a", port: 7000 }).nodes).toEqual([
      { host: "a", port: 7000 },
    ]);
    const cluster = ValkeyL2AdapterConfig.fromDict({
      type: "valkey",
      startup_nodes: "a:1,b:2,c:3",
      cluster_mode: true,
    });
    expect(valkeyConnectionOptions(cluster).nodes.length).toBe(3);
  });

  it("rejects what LMCache rejects, naming the field", () => {
    const bad: [Record<string, unknown>, string][] = [
      [{}, "startup_nodes"],
      [{ startup_nodes: "" }, "startup_nodes"],
      [{ startup_nodes: "h1" }, "startup_nodes"],
      [{ startup_nodes: "h1:0" }, "startup_nodes"],
      [{ startup_nodes: "h1:1", key_prefix: "a@b" }, "key_prefix"],
      [{ startup_nodes: "h1:1", key_prefix: "{tag}" }, "key_prefix"],
      [{ startup_nodes: "h1:1", num_workers: 0 }, "num_workers"],
      [{ startup_nodes: "h1:1", request_timeout: 0 }, "request_timeout"],
      [{ startup_nodes: "h1:1", max_capacity_gb: -1 }, "max_capacity_gb"],
      [{ startup_nodes: "h1:1", host: "h", port: 1 }, "host"],
      [{ host: "h" }, "port"],
      [{ startup_nodes: "h1:1", tls_ca_file: "/ca.pem" }, "tls_enable"],
      [{ startup_nodes: "h1:1", tls_enable: true, tls_cert_file: "/c.pem" }, "tls_cert_file"],
      [{ startup_nodes: "h1:1", cluster_mode: true, database_id: 2 }, "database_id"],
    ];
    for (const [dict, field] of bad) {
      expect(
        configError(() => ValkeyL2AdapterConfig.fromDict({ type: "valkey", ...dict })).field,
        JSON.stringify(dict),
      ).toBe(field);
    }
  });
});

describe("secrets", () => {
  it("a non-string password is rejected without quoting it", () => {
    for (const Config of [RespL2AdapterConfig, ValkeyL2AdapterConfig] as const) {
      const error = configError(() =>
        Config.fromDict({ type: Config.type, host: "h", port: 1, password: 982451653 } as never),
      );
      expect(error.field).toBe("password");
      expect(`${error.message} ${error.hint}`).not.toContain("982451653");
    }
  });

  it("toDict (what `x-l2 check` prints) redacts the password", () => {
    const c = ValkeyL2AdapterConfig.fromDict({ type: "valkey", host: "h", port: 1, password: "hunter2-pw" });
    expect(JSON.stringify(c.toDict())).not.toContain("hunter2-pw");
    expect(c.password, "the adapter still gets it").toBe("hunter2-pw");
    const r = RespL2AdapterConfig.fromDict({ type: "resp", host: "h", port: 1, password: "hunter2-pw" });
    expect(JSON.stringify(r.toDict())).not.toContain("hunter2-pw");
  });

  it("`x-l2 check` output never shows the password", () => {
    const run = spawnSync(
      process.execPath,
      [
        "packages/cli/dist/bin.js",
        "check",
        "--l2-adapter",
        JSON.stringify({ type: "valkey", host: "127.0.0.1", port: 6379, password: "hunter2-pw" }),
        "--l2-adapter",
        JSON.stringify({ type: "resp", host: "127.0.0.1", port: 6379, password: "hunter3-pw" }),
      ],
      { cwd: repoRoot, encoding: "utf8" },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('"type": "valkey"');
    expect(run.stdout).toContain('"type": "resp"');
    expect(run.stdout + run.stderr).not.toMatch(/hunter[23]-pw/);
  });
});

describe("wire keys, exactly as LMCache writes them", () => {
  const hash = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
  const key = new ObjectKey({ chunkHash: hash, modelName: "meta/llama", kvRank: 0x01000100 });
  const salted = new ObjectKey({
    chunkHash: hash,
    modelName: "meta/llama",
    kvRank: 3,
    objectGroupId: 10,
    cacheSalt: "tenant-a",
  });

  it("resp: <model>@<kv_rank 8 hex>@<group hex>@<hash hex>[@<salt>]", () => {
    expect(encodeWireKey(key)).toBe("meta/llama@01000100@0@deadbeef");
    expect(encodeWireKey(salted)).toBe("meta/llama@00000003@a@deadbeef@tenant-a");
  });

  it("valkey: <key_prefix>@ in front when a prefix is set; no hashtag anywhere", () => {
    expect(encodeWireKey(key, "prod")).toBe("prod@meta/llama@01000100@0@deadbeef");
    expect(encodeWireKey(salted, "prod")).toBe("prod@meta/llama@00000003@a@deadbeef@tenant-a");
    expect(encodeWireKey(key, "prod")).not.toMatch(/[{}]/);
  });

  it("decodes back; other keys (other data, the accounting keys) are not chunk keys", () => {
    for (const prefix of ["", "prod"]) {
      expect(decodeWireKey(encodeWireKey(salted, prefix), prefix)?.id).toBe(salted.id);
      const layout = new ServerIndexLayout(prefix, true);
      const meta = layout.keysFor(encodeWireKey(key, prefix));
      expect(decodeWireKey(meta.index, prefix)).toBeNull();
      expect(decodeWireKey(meta.usage, prefix)).toBeNull();
    }
    for (const other of [
      "session:42",
      "m@1@0@ab",
      "m@0100010@0@ab",
      "m@01000100@00@ab",
      "m@01000100@0@abc",
      "m@01000100@0@ab@",
    ]) {
      expect(decodeWireKey(other), other).toBeNull();
    }
    expect(decodeWireKey("other@meta/llama@01000100@0@deadbeef", "prod")).toBeNull();
  });
});

describe("cluster slots", () => {
  it("keySlot is Redis's CRC16 mod 16384, with the hashtag rule", () => {
    expect(keySlot("123456789")).toBe(0x31c3); // CRC16/XMODEM check value
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
    expect(keySlot("{}x")).toBe(keySlot("{}x")); // empty tag: the whole key counts
    expect(keySlot("a{}b")).not.toBe(keySlot("{}"));
  });

  it("each accounting key lands in the slot of the chunk it counts", () => {
    const tags = slotTags();
    expect(tags.length).toBe(16384);
    for (const slot of [0, 1, 5000, 16383]) expect(keySlot(`{${tags[slot]}}`)).toBe(slot);
    const layout = new ServerIndexLayout("prod", true);
    for (let i = 0; i < 50; i++) {
      const wire = `prod@m@01000100@0@${i.toString(16).padStart(2, "0")}`;
      const meta = layout.keysFor(wire);
      expect(keySlot(meta.index)).toBe(keySlot(wire));
      expect(keySlot(meta.usage)).toBe(keySlot(wire));
    }
  });
});
