// What an eavesdropper on the network sees and can replay, with and without TLS: a recording proxy sits
// between a sender process and the receiver. Certificates are made by the openssl CLI for each run.
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { kvRank, ObjectKey } from "@x/l2-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PdL2AdapterConfig } from "../src/config.js";
import { createPdAdapter } from "../src/pd-adapter.js";
import type { PdReceiverAdapter } from "../src/receiver.js";
import { makeCertificates } from "./fixtures/certificates.mjs";
import { patternChunk } from "./fixtures/pattern.mjs";
import { frames, T } from "./fixtures/wire-client.mjs";
import { Child, checkChildrenCanRun, freePort, quietLogger } from "./helpers.js";

const MIB = 1024 * 1024;
const TOKEN = "s3cret-pd-token-that-must-not-leak";
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let certs: string;
let tls: ReturnType<typeof makeCertificates>;
beforeAll(() => {
  checkChildrenCanRun();
  tls = makeCertificates("pd-tls-");
  certs = tls.dir;
});
afterAll(() => tls.remove());

const key = (prefix: string, i: number) =>
  new ObjectKey({ chunkHash: Buffer.from(`${prefix}-${i}`), modelName: "m", kvRank: kvRank(1, 0, 1, 0) });

/** Forwards `listen` -> `target` and records each connection's bytes in both directions. */
interface Recorded {
  fromClient: Buffer[];
  fromServer: Buffer[];
}
async function recordingProxy(target: number): Promise<{ port: number; connections: Recorded[] }> {
  const connections: Recorded[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((client) => {
    const record: Recorded = { fromClient: [], fromServer: [] };
    connections.push(record);
    const upstream = connect({ host: "127.0.0.1", port: target });
    sockets.push(client, upstream);
    client.on("data", (d: Buffer) => {
      record.fromClient.push(Buffer.from(d));
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      record.fromServer.push(Buffer.from(d));
      client.write(d);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => {});
    upstream.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as { port: number }).port, connections };
}

async function receiverWithProxies(extra: Record<string, unknown>) {
  const ports = { init: await freePort(), alloc: await freePort() };
  const receiver = (await createPdAdapter(
    PdL2AdapterConfig.fromDict({
      role: "receiver",
      peer_host: "127.0.0.1",
      peer_init_port: [ports.init],
      peer_alloc_port: [ports.alloc],
      auth_token: TOKEN,
      buffer_size: 64 * MIB,
      ...extra,
    }),
    { logger: quietLogger },
  )) as PdReceiverAdapter;
  cleanups.push(() => receiver.close());
  const init = await recordingProxy(ports.init);
  const alloc = await recordingProxy(ports.alloc);
  return { receiver, ports, init, alloc };
}

function senderProcess(initPort: number, allocPort: number, extra: Record<string, unknown>, prefix: string) {
  const child = new Child("sender-child.mjs", [
    JSON.stringify({
      config: {
        role: "sender",
        peer_host: "127.0.0.1",
        peer_init_port: [initPort],
        peer_alloc_port: [allocPort],
        auth_token: TOKEN,
        ...extra,
      },
      count: 16,
      size: MIB,
      batch: 4,
      prefix,
      seedBase: 500,
      stopOnFailure: true,
    }),
  ]);
  cleanups.push(() => child.kill());
  return child.next<{ results: { ok: boolean; message?: string }[] }>(30_000);
}

async function expectStored(receiver: PdReceiverAdapter, prefix: string) {
  const target = new Uint8Array(MIB);
  for (let i = 0; i < 16; i++) {
    target.fill(0);
    expect((await receiver.load([key(prefix, i)], [target])).toString(), `chunk ${i}`).toBe("1");
    expect(Buffer.compare(target, patternChunk(MIB, 500 + i)), `chunk ${i} bytes`).toBe(0);
  }
}

const everything = (r: { connections: Recorded[] }[]) =>
  Buffer.concat(r.flatMap((p) => p.connections.flatMap((c) => [...c.fromClient, ...c.fromServer])));

function leaksToken(captured: Buffer): boolean {
  return [
    Buffer.from(TOKEN),
    Buffer.from(Buffer.from(TOKEN).toString("hex")),
    Buffer.from(Buffer.from(TOKEN).toString("base64")),
  ].some((needle) => captured.includes(needle));
}

/** Writes one recorded client stream to a fresh connection; returns the frame types the receiver sent. */
async function replay(port: number, clientBytes: Buffer): Promise<number[]> {
  const socket = connect({ host: "127.0.0.1", port });
  const next = frames(socket);
  await new Promise((r) => socket.once("connect", r));
  socket.write(clientBytes);
  const types: number[] = [];
  for (let f = await next(); f; f = await next()) types.push(f.type);
  return types;
}

describe("pd on the wire", () => {
  it("without TLS: the token never travels, a captured handshake replays nowhere, chunk bytes do travel in clear", async () => {
    const { receiver, init, alloc, ports } = await receiverWithProxies({});
    const { results } = await senderProcess(init.port, alloc.port, {}, "clear");
    expect(results.every((r) => r.ok)).toBe(true);
    await expectStored(receiver, "clear");
    const captured = everything([init, alloc]);
    expect(leaksToken(captured)).toBe(false);
    // Documented in the README: without TLS, chunk bytes are readable on the wire.
    expect(captured.includes(Buffer.from(patternChunk(MIB, 503)).subarray(4096, 4160))).toBe(true);

    const stored = receiver.status().storedObjectCount;
    for (const c of init.connections) {
      const types = await replay(ports.init, Buffer.concat(c.fromClient));
      expect(types).toEqual([T.Challenge, T.Refused]);
    }
    for (const c of alloc.connections) {
      const types = await replay(ports.alloc, Buffer.concat(c.fromClient));
      expect(types[0]).toBe(T.Challenge);
      expect(types).not.toContain(T.AttachOk);
      expect(types).not.toContain(T.AllocResponse);
    }
    expect(receiver.status()).toMatchObject({
      storedObjectCount: stored,
      sessions: 0,
      stagingBytesReserved: 0,
    });
  }, 40_000);

  it("with mutual TLS: a transfer between two processes is byte-identical and the capture holds no chunk bytes", async () => {
    const tls = {
      tls_enable: true,
      tls_ca_file: join(certs, "ca.pem"),
    };
    const { receiver, init, alloc } = await receiverWithProxies({
      ...tls,
      tls_cert_file: join(certs, "server.pem"),
      tls_key_file: join(certs, "server.key"),
    });
    const client = {
      ...tls,
      tls_cert_file: join(certs, "client.pem"),
      tls_key_file: join(certs, "client.key"),
    };
    const { results } = await senderProcess(init.port, alloc.port, client, "tls");
    expect(results.filter((r) => !r.ok)).toEqual([]);
    await expectStored(receiver, "tls");
    const captured = everything([init, alloc]);
    expect(captured.length).toBeGreaterThan(16 * MIB);
    expect(leaksToken(captured)).toBe(false);
    expect(captured.includes(Buffer.from(patternChunk(MIB, 503)).subarray(4096, 4160))).toBe(false);
    expect(receiver.status()).toMatchObject({ tls: true, storedObjectCount: 16 });

    // Mutual TLS: a sender without a client certificate, or without TLS, gets nowhere.
    const noCert = await senderProcess(init.port, alloc.port, tls, "nocert");
    expect(noCert.results[0]).toMatchObject({ ok: false });
    expect(noCert.results[0]!.message).toMatch(/CERTIFICATE_REQUIRED/);
    const plain = await senderProcess(init.port, alloc.port, { connect_timeout_ms: 1000 }, "plain");
    expect(plain.results[0]).toMatchObject({ ok: false });
    expect(plain.results[0]!.message).toMatch(/tls_enable/);
    expect(receiver.status().storedObjectCount).toBe(16);
  }, 40_000);
});
