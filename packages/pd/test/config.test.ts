import { isL2Error, L2AdapterConfigBase, listL2AdapterTypes } from "@x/l2-core";
import { describe, expect, it } from "vitest";
import { PdL2AdapterConfig } from "../src/config.js";

const sender = { role: "sender", peer_host: "10.0.0.2", peer_init_port: [9051], peer_alloc_port: [9052] };
const receiver = { role: "receiver", peer_host: "10.0.0.1", peer_init_port: [9051], peer_alloc_port: [9052] };

/** Parses and returns the L2Error, failing the test when parsing succeeds. */
function parseError(dict: unknown) {
  try {
    PdL2AdapterConfig.fromDict(dict);
  } catch (error) {
    expect(isL2Error(error, "CONFIG_INVALID")).toBe(true);
    return error as Error & { field?: string };
  }
  throw new Error(`expected ${JSON.stringify(dict)} to be rejected`);
}

describe("PdL2AdapterConfig", () => {
  it("parses a minimal sender config (required fields only)", () => {
    const c = PdL2AdapterConfig.fromDict({ type: "pd", ...sender });
    expect(c).toBeInstanceOf(PdL2AdapterConfig);
    expect(c.role).toBe("sender");
    expect(c.peerHost).toBe("10.0.0.2");
    expect(c.peerInitPort).toEqual([9051]);
    expect(c.peerAllocPort).toEqual([9052]);
  });

  it("parses a minimal receiver config", () => {
    const c = PdL2AdapterConfig.fromDict(receiver);
    expect(c.role).toBe("receiver");
    expect(c.type).toBe("pd");
  });

  it("applies every default", () => {
    const c = PdL2AdapterConfig.fromDict(sender);
    expect(c.proxyHost).toBe("");
    expect(c.proxyPort).toBe(0);
    expect(c.bufferSize).toBe(67108864);
    expect(c.bufferDevice).toBe("cpu");
    expect(c.transferChannel).toBe("nixl");
    expect(c.nixlBackends).toEqual(["tcp"]);
    expect(c.authToken).toBeUndefined();
    expect(c.bindHost).toBe("127.0.0.1");
    expect(c.connectTimeoutMs).toBe(5000);
    expect(c.transferTimeoutMs).toBe(30000);
    expect(c.admissionTimeoutMs).toBe(5000);
    expect(c.persistEnabled).toBe(true);
    expect(c.eviction).toBeNull();
  });

  it("is frozen after parsing, arrays included", () => {
    const c = PdL2AdapterConfig.fromDict(sender);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.peerInitPort)).toBe(true);
    expect(Object.isFrozen(c.nixlBackends)).toBe(true);
    expect(() => {
      (c as unknown as { role: string }).role = "receiver";
    }).toThrow(TypeError);
  });

  for (const field of ["role", "peer_host", "peer_init_port", "peer_alloc_port"]) {
    it(`fails when the required field ${field} is missing`, () => {
      const dict: Record<string, unknown> = { ...sender };
      delete dict[field];
      const error = parseError(dict);
      expect(error.field).toBe(field);
      expect(error.message).toContain(`"${field}"`);
      expect(error.message).toContain("required");
    });
  }

  it("fails on an invalid role and names the valid ones", () => {
    const error = parseError({ ...sender, role: "prefill" });
    expect(error.field).toBe("role");
    expect(error.message).toMatch(/"sender" or "receiver"/);
  });

  it("fails on an empty peer_host", () => {
    expect(parseError({ ...sender, peer_host: "" }).field).toBe("peer_host");
  });

  it.each([
    ["role", 1],
    ["peer_host", 42],
    ["peer_init_port", 9051],
    ["peer_alloc_port", "9052"],
    ["peer_init_port", ["9051"]],
    ["proxy_host", 1],
    ["proxy_port", "6688"],
    ["buffer_size", "64MiB"],
    ["buffer_size", 1.5e6 + 0.5],
    ["buffer_device", 0],
    ["transfer_channel", true],
    ["nixl_backends", "tcp"],
    ["auth_token", 123],
    ["bind_host", []],
    ["transfer_timeout_ms", "1s"],
  ])("fails on a wrong type for %s (%j)", (field, value) => {
    const error = parseError({ ...sender, [field]: value });
    expect(error.field?.split(".")[0]).toBe(field);
    expect(error.message).toContain(field);
  });

  it("fails on empty port lists", () => {
    expect(parseError({ ...sender, peer_init_port: [] }).message).toMatch(
      /peer_init_port.*at least one port/,
    );
    expect(parseError({ ...sender, peer_alloc_port: [] }).message).toMatch(
      /peer_alloc_port.*at least one port/,
    );
  });

  it.each([0, -1, 65536, 70000, 9051.5])("fails on port %d outside 1..65535", (port) => {
    const e1 = parseError({ ...sender, peer_init_port: [9051, port], peer_alloc_port: [9052, 9053] });
    expect(e1.field).toBe("peer_init_port.1");
    const e2 = parseError({ ...sender, peer_alloc_port: [port] });
    expect(e2.field).toBe("peer_alloc_port.0");
  });

  it("fails when proxy_port is out of range", () => {
    expect(parseError({ ...sender, proxy_host: "p", proxy_port: 70000 }).field).toBe("proxy_port");
  });

  it("fails when the per-rank port lists differ in length", () => {
    const error = parseError({ ...sender, peer_init_port: [9051, 9053], peer_alloc_port: [9052] });
    expect(error.field).toBe("peer_alloc_port");
    expect(error.message).toMatch(/one port per TP rank/);
  });

  it("fails when only one of proxy_host / proxy_port is set", () => {
    expect(parseError({ ...sender, proxy_host: "proxy" }).field).toBe("proxy_port");
    expect(parseError({ ...sender, proxy_port: 6688 }).field).toBe("proxy_host");
  });

  it("fails on an unknown buffer_device", () => {
    const error = parseError({ ...sender, buffer_device: "tpu" });
    expect(error.field).toBe("buffer_device");
    expect(error.message).toMatch(/"cpu" or "cuda"/);
  });

  it("fails on an unknown transfer_channel", () => {
    const error = parseError({ ...sender, transfer_channel: "rdma" });
    expect(error.field).toBe("transfer_channel");
    expect(error.message).toMatch(/"nixl" or "mock_memory"/);
  });

  it("fails on empty nixl_backends and an empty auth_token", () => {
    expect(parseError({ ...sender, nixl_backends: [] }).field).toBe("nixl_backends");
    expect(parseError({ ...sender, auth_token: "" }).field).toBe("auth_token");
  });

  it("fails on an unknown key and suggests the closest one", () => {
    const error = parseError({ ...sender, peer_init_ports: [1] });
    expect(error.message).toMatch(/did you mean "peer_init_port"/);
  });

  it("fails on a dict for another type and on non-objects", () => {
    parseError({ ...sender, type: "fs" });
    parseError(null);
    parseError([sender]);
    parseError("pd");
  });

  it("round-trips every field through toDict", () => {
    const full = {
      type: "pd",
      role: "receiver",
      peer_host: "decode-1",
      peer_init_port: [7001, 7003],
      peer_alloc_port: [7002, 7004],
      proxy_host: "proxy-1",
      proxy_port: 6688,
      buffer_size: 1 << 30,
      buffer_device: "cuda",
      transfer_channel: "mock_memory",
      nixl_backends: ["tcp", "ucx"],
      auth_token: "secret",
      bind_host: "0.0.0.0",
      connect_timeout_ms: 1000,
      transfer_timeout_ms: 2000,
      admission_timeout_ms: 3000,
      handshake_timeout_ms: 4000,
      max_connections: 64,
      max_connections_per_host: 8,
      peer_buffer_share: 0.25,
      tls_enable: false,
      eviction: { eviction_policy: "LRU", trigger_watermark: 0.9, eviction_ratio: 0.1 },
      persist_enabled: false,
      shared: true,
    };
    const c = PdL2AdapterConfig.fromDict(full);
    expect(c.toDict()).toEqual(full);
    expect(PdL2AdapterConfig.fromDict(c.toDict()).toDict()).toEqual(full);
    expect(c.nixlBackends).toEqual(["tcp", "ucx"]);
    expect(c.authToken).toBe("secret");
  });

  it("runs the shared eviction / persist_enabled parsing of the config base", () => {
    const c = PdL2AdapterConfig.fromDict({
      ...sender,
      eviction: { eviction_policy: "LRU" },
      persist_enabled: false,
    });
    expect(c).toBeInstanceOf(L2AdapterConfigBase);
    expect(c.eviction).toEqual({ policy: "LRU", triggerWatermark: 0.8, evictionRatio: 0.2 });
    expect(Object.isFrozen(c.eviction)).toBe(true);
    expect(c.persistEnabled).toBe(false);
    expect(parseError({ ...sender, eviction: { eviction_policy: "FIFO" } }).field).toBe(
      "eviction.eviction_policy",
    );
    expect(parseError({ ...sender, eviction: {} }).field).toBe("eviction.eviction_policy");
    expect(parseError({ ...sender, persist_enabled: "yes" }).field).toBe("persist_enabled");
  });

  it("checks the limits and TLS fields, naming the field", () => {
    const receiver = { ...sender, role: "receiver" };
    expect(parseError({ ...receiver, peer_buffer_share: 0 }).field).toBe("peer_buffer_share");
    expect(parseError({ ...receiver, peer_buffer_share: 1.5 }).field).toBe("peer_buffer_share");
    expect(parseError({ ...receiver, max_connections: 0 }).field).toBe("max_connections");
    expect(parseError({ ...receiver, max_connections_per_host: 2.5 }).field).toBe("max_connections_per_host");
    expect(parseError({ ...receiver, handshake_timeout_ms: 0 }).field).toBe("handshake_timeout_ms");
    expect(parseError({ ...receiver, tls_enable: "yes" }).field).toBe("tls_enable");
    const noCert = parseError({ ...receiver, tls_enable: true });
    expect(noCert.field).toBe("tls_cert_file");
    expect(noCert.message).toMatch(/needs a certificate/);
    expect(parseError({ ...receiver, tls_enable: true, tls_cert_file: "c.pem" }).field).toBe("tls_key_file");
    expect(parseError({ ...sender, tls_ca_file: "ca.pem" }).message).toMatch(
      /no effect without "tls_enable"/,
    );
    expect(parseError({ ...sender, tls_enable: true, transfer_channel: "mock_memory" }).field).toBe(
      "tls_enable",
    );
    const tls = PdL2AdapterConfig.fromDict({
      ...receiver,
      tls_enable: true,
      tls_cert_file: "c.pem",
      tls_key_file: "k.pem",
      tls_ca_file: "ca.pem",
    });
    expect(tls).toMatchObject({
      tlsEnable: true,
      tlsCertFile: "c.pem",
      tlsKeyFile: "k.pem",
      tlsCaFile: "ca.pem",
    });
    expect(PdL2AdapterConfig.fromDict(receiver)).toMatchObject({
      handshakeTimeoutMs: 5000,
      maxConnections: 512,
      maxConnectionsPerHost: 128,
      peerBufferShare: 1,
      tlsEnable: false,
    });
  });

  it("help names every field and says required or optional", () => {
    const help = PdL2AdapterConfig.help();
    const fields = [
      "role",
      "peer_host",
      "peer_init_port",
      "peer_alloc_port",
      "proxy_host",
      "proxy_port",
      "buffer_size",
      "buffer_device",
      "transfer_channel",
      "nixl_backends",
      "auth_token",
      "bind_host",
      "connect_timeout_ms",
      "transfer_timeout_ms",
      "admission_timeout_ms",
      "handshake_timeout_ms",
      "max_connections",
      "max_connections_per_host",
      "peer_buffer_share",
      "tls_enable",
      "tls_ca_file",
      "tls_cert_file",
      "tls_key_file",
      "eviction",
      "persist_enabled",
    ];
    const required = new Set(["role", "peer_host", "peer_init_port", "peer_alloc_port"]);
    for (const field of fields) {
      const line = help.split("\n").find((l) => l.startsWith(`- ${field} (`));
      expect(line, field).toBeDefined();
      expect(line).toContain(required.has(field) ? "required" : "optional");
    }
    expect(help).toContain("default 67108864");
    // The embedded example parses.
    const example = /--l2-adapter '(.*)'/.exec(help)?.[1];
    expect(PdL2AdapterConfig.fromDict(JSON.parse(example!)).role).toBe("sender");
  });

  it("is registered as type pd in the adapter type list", async () => {
    const types = await listL2AdapterTypes();
    const pd = types.find((t) => t.type === "pd");
    expect(pd).toBeDefined();
    expect(JSON.stringify(pd)).toContain("@x/l2-pd");
  });
});
