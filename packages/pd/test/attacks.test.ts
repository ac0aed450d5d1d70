// Issue 13's attacks, each against a receiver in its own process over real sockets on 127.0.0.1, by an
// attacker process that speaks the wire format by hand, while a legitimate sender keeps storing.
import { kvRank, ObjectKey } from "@x/l2-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PdL2AdapterConfig } from "../src/config.js";
import { createPdAdapter } from "../src/pd-adapter.js";
import type { PdSenderAdapter } from "../src/sender.js";
import { patternChunk } from "./fixtures/pattern.mjs";
import { attach, dataHeader, json, T, key as wireKey } from "./fixtures/wire-client.mjs";
import { Child, checkChildrenCanRun, freePort, quietLogger } from "./helpers.js";

const MIB = 1024 * 1024;
const TOKEN = "attack-test-token";
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => checkChildrenCanRun());

interface Status {
  storedObjectCount: number;
  stagingBytesUsed: number;
  stagingBytesReserved: number;
  pendingBatches: number;
  waitingBatches: number;
  sessions: number;
  connections: number;
  connectionsReaped: number;
  rss: number;
}

const key = (name: string) =>
  new ObjectKey({ chunkHash: Buffer.from(name), modelName: "m", kvRank: kvRank(1, 0, 1, 0) });

async function setup(extra: Record<string, unknown> = {}) {
  const ports = { initPort: await freePort(), allocPort: await freePort() };
  const base = {
    peer_host: "127.0.0.1",
    peer_init_port: [ports.initPort],
    peer_alloc_port: [ports.allocPort],
    auth_token: TOKEN,
  };
  const receiver = new Child("receiver-child.mjs", [
    JSON.stringify({ ...base, role: "receiver", buffer_size: 64 * MIB, ...extra }),
  ]);
  cleanups.push(() => receiver.kill());
  const ready = await receiver.next<{ rss: number }>();
  const status = async () => {
    receiver.send("status");
    return receiver.next<Status>();
  };
  const sender = (await createPdAdapter(
    PdL2AdapterConfig.fromDict({ ...base, role: "sender", connect_timeout_ms: 10_000 }),
    { logger: quietLogger },
  )) as PdSenderAdapter;
  cleanups.push(() => sender.close());
  const attacker = (job: Record<string, unknown>) => {
    const child = new Child("attacker.mjs", [JSON.stringify({ ...ports, token: TOKEN, ...job })]);
    cleanups.push(() => child.kill());
    return child;
  };
  return { ports, receiver, ready, status, sender, attacker };
}

/**
 * Stores 1 MiB chunks one after another until `stop` resolves, clearing the receiver every 16 stores so
 * the legitimate load never fills the buffer by itself; returns every result.
 */
async function storeUntil(sender: PdSenderAdapter, receiver: Child, stop: Promise<unknown>) {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const results: { ok: boolean; message?: string }[] = [];
  const chunk = patternChunk(MIB, 1);
  for (let i = 0; !stopped || results.length === 0; i++) {
    const r = await sender.store([key(`legit-${i}`)], [chunk]);
    results.push({ ok: r.ok, message: r.error?.message });
    if (i % 16 === 15) {
      receiver.send("clear");
      await receiver.next();
    }
  }
  return results;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const drained = (s: Status) =>
  s.stagingBytesReserved === 0 && s.pendingBatches === 0 && s.waitingBatches === 0 && s.sessions <= 1;

describe("pd receiver under attack (real processes, 127.0.0.1)", () => {
  it("duplicate correlation ids then close: both reservations freed, every session; staging back to zero", async () => {
    const { status, sender, attacker, receiver } = await setup();
    // 62 sessions x 2 requests of 4 MiB: before the fix this leaked 4 MiB per session (248 of 256 MiB).
    const attack = attacker({ mode: "duplicate", sessions: 62, size: 4 * MIB });
    const done = attack.next(40_000);
    const results = await storeUntil(sender, receiver, done);
    expect(await done).toEqual({ done: 62 });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
    await until(status, drained);
    receiver.send("clear");
    expect(await receiver.next<Status>()).toMatchObject({ stagingBytesUsed: 0, storedObjectCount: 0 });
    // The whole buffer is usable again: 60 MiB in one store.
    const chunks = Array.from({ length: 15 }, (_, i) => patternChunk(4 * MIB, i));
    const full = await sender.store(
      chunks.map((_, i) => key(`full-${i}`)),
      chunks,
    );
    expect(full).toEqual({ ok: true, bytesWritten: 60 * MIB });
  }, 45_000);

  it("1000 unauthenticated connections declaring 4 MiB bodies: RSS stays bounded, senders keep storing", async () => {
    const { status, sender, attacker, ready, receiver } = await setup({ handshake_timeout_ms: 3000 });
    // Half declare 4 MiB and send 64 KiB of it (refused at the header); half stay just under the
    // pre-auth limit (4000 of 4096 bytes declared, 3999 sent) and are held until reaped.
    const big = attacker({ mode: "flood", connections: 500, declared: 4 * MIB, sent: 64 * 1024 });
    const small = attacker({ mode: "flood", connections: 500, declared: 4000, sent: 3999 });
    const flooded = Promise.all([big.next(30_000), small.next(30_000)]);
    const results = await storeUntil(sender, receiver, flooded);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    receiver.send("peak");
    const { peak } = await receiver.next<{ peak: number }>();
    const after = await status();
    // Bound: the staging pages the legitimate stores touched (16 MiB between clears), plus 64 MiB for
    // everything else (sockets, at most max_connections x 4 KiB of pre-auth bodies, V8). Before: +2.4 GiB.
    expect(peak - ready.rss).toBeLessThan(16 * MIB + 64 * MIB);
    expect(after.connections).toBeLessThanOrEqual(512);
    await until(status, (s) => s.connections <= 1 && drained(s));
  }, 45_000);

  it("600 idle connections held and reopened: new senders still get in", async () => {
    const { status, attacker, ports } = await setup({ max_connections: 512, max_connections_per_host: 512 });
    const idle = attacker({ mode: "idle", connections: 600 });
    await idle.next(30_000);
    await until(status, (s) => s.connections >= 500);
    // A fresh sender process-side link (new handshake) while the attacker keeps reconnecting.
    const fresh = (await createPdAdapter(
      PdL2AdapterConfig.fromDict({
        role: "sender",
        peer_host: "127.0.0.1",
        peer_init_port: [ports.initPort],
        peer_alloc_port: [ports.allocPort],
        auth_token: TOKEN,
      }),
      { logger: quietLogger },
    )) as PdSenderAdapter;
    cleanups.push(() => fresh.close());
    for (let i = 0; i < 5; i++) {
      const r = await fresh.store([key(`fresh-${i}`)], [patternChunk(MIB, i)]);
      expect(r.error?.message ?? "ok").toBe("ok");
    }
    idle.send("count");
    expect((await idle.next<{ reopened: number }>()).reopened).toBeGreaterThan(0);
    expect((await status()).connectionsReaped).toBeGreaterThan(0);
  }, 45_000);

  it("a cancel from another session drops nothing it does not own", async () => {
    const { status, sender, attacker } = await setup();
    const victim = sender.storeRequestBatch(
      [key("victim-0"), key("victim-1")],
      [patternChunk(MIB, 1), patternChunk(MIB, 2)],
      {
        requestId: "req-victim",
      },
    );
    expect((await victim).ok).toBe(true);
    const cancel = attacker({ mode: "cancel", reqId: "req-victim", keys: ["victim-0", "victim-1"] });
    expect(await cancel.next()).toEqual({ done: true, answered: true });
    const s = await until(status, drained);
    expect(s.storedObjectCount).toBe(2);
    expect(s.stagingBytesUsed).toBe(2 * MIB);
    // Its own cancel still works: a failed batch of the same request rolls the request back.
    const failed = await sender.storeRequestBatch([key("victim-2")], [new Uint8Array(64 * MIB + 1)], {
      requestId: "req-victim",
    });
    expect(failed.ok).toBe(false);
  }, 30_000);

  it("an oversized chunk fails its own store with 'chunk too large'; a concurrent store on the link succeeds", async () => {
    const { status, sender } = await setup({ buffer_size: 16 * MIB });
    expect((await sender.store([key("warm")], [patternChunk(MIB, 0)])).ok).toBe(true);
    const chunks = Array.from({ length: 4 }, (_, i) => patternChunk(2 * MIB, i));
    const [valid, oversized] = await Promise.all([
      sender.store(
        chunks.map((_, i) => key(`valid-${i}`)),
        chunks,
      ),
      sender.store([key("ok-part"), key("huge")], [patternChunk(MIB, 9), new Uint8Array(16 * MIB + 1)]),
    ]);
    expect(valid).toEqual({ ok: true, bytesWritten: 8 * MIB });
    expect(oversized.ok).toBe(false);
    expect(oversized.error?.code).toBe("ARGUMENT_INVALID");
    expect(oversized.error?.field).toBe("buffer_size");
    expect(oversized.error?.message).toMatch(/chunk too large/);
    expect(oversized.error?.message).toContain(String(16 * MIB));
    const s = await status();
    // Same link (one session), nothing of the failed store arrived.
    expect(s).toMatchObject({ sessions: 1, storedObjectCount: 5, stagingBytesReserved: 0 });
    expect((await sender.store([key("after")], [patternChunk(MIB, 3)])).ok).toBe(true);
  }, 30_000);

  it("an ALLOC_REQUEST over the receiver's limit from a hand-written peer is refused, the link stays", async () => {
    const { ports, status } = await setup({ buffer_size: 8 * MIB });
    const { socket, next } = await attach({ ...ports, token: TOKEN });
    cleanups.push(async () => socket.destroy());
    socket.write(json(T.AllocRequest, 1, { req_id: "r", keys: [wireKey("big")], sizes: [8 * MIB + 1] }));
    expect(await next()).toMatchObject({
      type: T.AllocResponse,
      body: { slots: [-1], reason: "chunk_too_large" },
    });
    socket.write(json(T.AllocRequest, 2, { req_id: "r", keys: [wireKey("small")], sizes: [10] }));
    const granted = await next();
    expect(granted?.type).toBe(T.AllocResponse);
    expect((granted!.body.slots as number[])[0]).toBeGreaterThan(0);
    expect((await status()).sessions).toBe(1);
  }, 30_000);

  it("peer_buffer_share: one sender cannot take more than its share; another sender still stores", async () => {
    const { ports, sender, status } = await setup({ buffer_size: 16 * MIB, peer_buffer_share: 0.5 });
    const chunks = Array.from({ length: 4 }, (_, i) => patternChunk(2 * MIB, i));
    expect(
      (
        await sender.store(
          chunks.map((_, i) => key(`hog-${i}`)),
          chunks,
        )
      ).ok,
    ).toBe(true);
    const over = await sender.store([key("hog-more")], [patternChunk(MIB, 7)]);
    expect(over.ok).toBe(false);
    expect(over.error?.message).toMatch(/peer_buffer_share/);
    // A second sender is another peer (its own sender id): its half is free.
    const other = new Child("sender-child.mjs", [
      JSON.stringify({
        config: {
          role: "sender",
          peer_host: "127.0.0.1",
          peer_init_port: [ports.initPort],
          peer_alloc_port: [ports.allocPort],
          auth_token: TOKEN,
        },
        count: 6,
        size: MIB,
        batch: 2,
        prefix: "other",
        seedBase: 0,
      }),
    ]);
    cleanups.push(() => other.kill());
    const { results } = await other.next<{ results: { ok: boolean }[] }>();
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await until(status, drained)).toMatchObject({ storedObjectCount: 10, stagingBytesUsed: 14 * MIB });
  }, 30_000);

  it("pushed batches by hand: no room means dropped and answered buffer_full; a repeated key index or a cut-off push frees everything", async () => {
    const { ports, status, receiver } = await setup({ buffer_size: 4 * MIB });
    const peer = async () => {
      const link = await attach({ ...ports, token: TOKEN });
      cleanups.push(async () => link.socket.destroy());
      return link;
    };
    const push = (corr: number, names: string[], size: number) =>
      json(T.AllocRequest, corr, {
        req_id: `p${corr}`,
        keys: names.map(wireKey),
        sizes: names.map(() => size),
        push: true,
      });
    const payload = Buffer.alloc(MIB, 0x5a);
    // Fits: stored, one BATCH_DONE.
    const a = await peer();
    a.socket.write(
      Buffer.concat([
        push(1, ["p0", "p1"], MIB),
        dataHeader(1, 0, MIB, 0),
        payload,
        dataHeader(1, 0, MIB, 1),
        payload,
      ]),
    );
    expect(await a.next()).toMatchObject({
      type: T.BatchDone,
      corr: 1,
      body: { ok: true, bytes_stored: 2 * MIB },
    });
    // 3 MiB more do not fit in the 2 MiB left: every byte is read and dropped, the link stays.
    a.socket.write(
      Buffer.concat([
        push(2, ["q0", "q1", "q2"], MIB),
        ...[0, 1, 2].flatMap((i) => [dataHeader(2, 0, MIB, i), payload]),
      ]),
    );
    expect(await a.next()).toMatchObject({
      type: T.BatchDone,
      corr: 2,
      body: { ok: false, reason: "buffer_full" },
    });
    expect(await status()).toMatchObject({
      storedObjectCount: 2,
      stagingBytesUsed: 2 * MIB,
      stagingBytesReserved: 0,
      sessions: 1,
    });
    // A repeated key index is a protocol error: that connection closes and its reservation is freed.
    const b = await peer();
    b.socket.write(
      Buffer.concat([
        push(1, ["r0", "r1"], MIB),
        dataHeader(1, 0, MIB, 0),
        payload,
        dataHeader(1, 0, MIB, 0),
      ]),
    );
    expect(await b.next()).toBeNull();
    // A push cut off mid-payload: the connection close frees it.
    const c = await peer();
    c.socket.write(
      Buffer.concat([push(1, ["s0"], MIB), dataHeader(1, 0, MIB, 0), payload.subarray(0, MIB / 2)]),
    );
    await until(status, (s) => s.stagingBytesReserved === MIB && s.pendingBatches === 1);
    c.socket.destroy();
    const after = await until(status, (s) => s.sessions === 1 && drained(s));
    expect(after).toMatchObject({ storedObjectCount: 2, stagingBytesUsed: 2 * MIB });
    receiver.send("clear");
    expect(await receiver.next<Status>()).toMatchObject({ stagingBytesUsed: 0 });
  }, 30_000);
});
