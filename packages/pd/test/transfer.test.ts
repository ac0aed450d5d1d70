import { connect, createServer, type Server, type Socket } from "node:net";
import { isL2Error, kvRank, ObjectKey } from "@x/l2-core";
import { afterEach, describe, expect, it } from "vitest";
import { PdL2AdapterConfig } from "../src/config.js";
import { createPdAdapter } from "../src/pd-adapter.js";
import type { PdReceiverAdapter } from "../src/receiver.js";
import type { PdSenderAdapter } from "../src/sender.js";
import { encodeControlFrame } from "../src/wire/codec.js";
import { FRAME_MAGIC, FrameType, writeFrameHeader } from "../src/wire/frame.js";
import { attach, frames } from "./fixtures/wire-client.mjs";
import { freePort, quietLogger, recordingLogger } from "./helpers.js";

const MIB = 1024 * 1024;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let mockPort = 30_000;
function mockPorts(n = 1) {
  const init = Array.from({ length: n }, () => mockPort++);
  const alloc = Array.from({ length: n }, () => mockPort++);
  return { init, alloc };
}
async function tcpPorts(n = 1) {
  const init: number[] = [];
  const alloc: number[] = [];
  for (let i = 0; i < n; i++) {
    init.push(await freePort());
    alloc.push(await freePort());
  }
  return { init, alloc };
}

function config(
  role: "sender" | "receiver",
  p: { init: number[]; alloc: number[] },
  extra: Record<string, unknown> = {},
) {
  return PdL2AdapterConfig.fromDict({
    role,
    peer_host: "127.0.0.1",
    peer_init_port: p.init,
    peer_alloc_port: p.alloc,
    ...extra,
  });
}

async function receiverOf(
  p: { init: number[]; alloc: number[] },
  extra: Record<string, unknown> = {},
  tpRank?: number,
) {
  const r = (await createPdAdapter(config("receiver", p, extra), {
    logger: quietLogger,
    tpRank,
  })) as PdReceiverAdapter;
  cleanups.push(() => r.close());
  return r;
}
async function senderOf(
  p: { init: number[]; alloc: number[] },
  extra: Record<string, unknown> = {},
  context: { tpRank?: number; logger?: typeof quietLogger } = {},
) {
  const s = (await createPdAdapter(config("sender", p, extra), {
    logger: quietLogger,
    ...context,
  })) as PdSenderAdapter;
  cleanups.push(() => s.close());
  return s;
}

const key = (name: string, rank = 0, world = 1) =>
  new ObjectKey({ chunkHash: Buffer.from(name), modelName: "m", kvRank: kvRank(world, rank, world, rank) });
const chunk = (size: number, fill: number) => new Uint8Array(size).fill(fill);

for (const channel of ["mock_memory", "nixl"] as const) {
  describe(`pd over ${channel}`, () => {
    const ports = (n = 1) => (channel === "nixl" ? tcpPorts(n) : Promise.resolve(mockPorts(n)));
    const extra = { transfer_channel: channel, auth_token: "tok" };

    it("stores on the sender and finds, locks and loads on the receiver", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, extra);
      const sender = await senderOf(p, extra);
      const keys = [key("a"), key("b")];
      const objects = [chunk(MIB, 1), chunk(3 * MIB + 5, 2)];
      expect(await sender.store(keys, objects)).toEqual({ ok: true, bytesWritten: 4 * MIB + 5 });
      // Re-storing reports 0 new bytes and sends nothing.
      expect(await sender.store(keys, objects)).toEqual({ ok: true, bytesWritten: 0 });
      expect((await receiver.lookupAndLock([key("a"), key("x"), key("b")])).toString()).toBe("101");
      const targets = [new Uint8Array(MIB), new Uint8Array(3 * MIB + 5)];
      expect((await receiver.load(keys, targets)).toString()).toBe("11");
      expect(Buffer.compare(targets[1]!, objects[1]!)).toBe(0);
      // Locked keys survive delete; unlocked ones free their staging space.
      await receiver.delete(keys);
      expect(receiver.status().storedObjectCount).toBe(2);
      receiver.unlock(keys);
      await receiver.delete(keys);
      expect(receiver.status()).toMatchObject({ storedObjectCount: 0, stagingBytesUsed: 0 });
      // The sender side only reports misses.
      expect((await sender.lookupAndLock(keys)).toString()).toBe("00");
      expect((await sender.load(keys, targets)).toString()).toBe("00");
      sender.unlock(keys);
    });

    it("fails the whole batch when the receiver refuses slots, and keeps nothing of it", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, { ...extra, buffer_size: 2 * MIB, admission_timeout_ms: 50 });
      const sender = await senderOf(p, extra);
      const result = await sender.store(
        [key("a"), key("b"), key("c")],
        [chunk(MIB, 1), chunk(MIB, 2), chunk(MIB, 3)],
      );
      expect(result.ok).toBe(false);
      expect(result.error?.code).toBe("TRANSFER_FAILED");
      expect(result.error?.message).toMatch(/refused slots/);
      expect(receiver.status()).toMatchObject({
        storedObjectCount: 0,
        stagingBytesUsed: 0,
        stagingBytesReserved: 0,
      });
      // A batch that fits still goes through on the same link.
      expect((await sender.store([key("d")], [chunk(MIB, 4)])).ok).toBe(true);
    });

    it("admission waits for space freed by delete", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, { ...extra, buffer_size: 2 * MIB, admission_timeout_ms: 5000 });
      const sender = await senderOf(p, extra);
      expect((await sender.store([key("a"), key("b")], [chunk(MIB, 1), chunk(MIB, 2)])).ok).toBe(true);
      const waiting = sender.store([key("c")], [chunk(MIB, 3)]);
      await until(() => receiver.status().waitingBatches === 1);
      await receiver.delete([key("a")]);
      expect((await waiting).ok).toBe(true);
      expect((await receiver.lookupAndLock([key("a"), key("b"), key("c")])).toString()).toBe("011");
    });

    it("aborting a store that waits for space fails it with ABORTED and leaves nothing reserved", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, { ...extra, buffer_size: 2 * MIB, admission_timeout_ms: 30_000 });
      const sender = await senderOf(p, extra);
      expect((await sender.store([key("a"), key("b")], [chunk(MIB, 1), chunk(MIB, 2)])).ok).toBe(true);
      const controller = new AbortController();
      const waiting = sender.store([key("c")], [chunk(MIB, 3)], { signal: controller.signal });
      await until(() => receiver.status().waitingBatches === 1);
      controller.abort();
      const result = await waiting;
      expect(result).toMatchObject({ ok: false, bytesWritten: 0 });
      expect(result.error?.code).toBe("ABORTED");
      await until(() => receiver.status().waitingBatches === 0);
      expect(receiver.status()).toMatchObject({
        stagingBytesReserved: 0,
        pendingBatches: 0,
        storedObjectCount: 2,
      });
      // The link is intact: after a delete the next store goes through.
      await receiver.delete([key("a")]);
      expect((await sender.store([key("d")], [chunk(MIB, 4)])).ok).toBe(true);
      expect((await receiver.lookupAndLock([key("c"), key("d")])).toString()).toBe("01");
      // An already-aborted signal sends nothing.
      const before = receiver.status().storedObjectCount;
      const pre = await sender.store([key("e")], [chunk(10, 5)], { signal: AbortSignal.abort() });
      expect(pre.error?.code).toBe("ABORTED");
      expect(receiver.status().storedObjectCount).toBe(before);
    });

    it("aborting the receiver's own store that waits for space fails it with ABORTED", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, { ...extra, buffer_size: MIB, admission_timeout_ms: 30_000 });
      expect((await receiver.store([key("a")], [chunk(MIB, 1)])).ok).toBe(true);
      const controller = new AbortController();
      const waiting = receiver.store([key("b")], [chunk(MIB, 2)], { signal: controller.signal });
      await until(() => receiver.status().waitingBatches === 1);
      controller.abort();
      const result = await waiting;
      expect(result.ok).toBe(false);
      expect(result.error?.code).toBe("ABORTED");
      expect(receiver.status()).toMatchObject({
        waitingBatches: 0,
        storedObjectCount: 1,
        stagingBytesUsed: MIB,
      });
    });

    it("a failed batch of a multi-batch request cancels the request's earlier batches", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, { ...extra, buffer_size: 3 * MIB, admission_timeout_ms: 50 });
      const sender = await senderOf(p, extra);
      const first = await sender.storeRequestBatch([key("r1"), key("r2")], [chunk(MIB, 1), chunk(MIB, 2)], {
        requestId: "req-1",
        lastBatch: false,
      });
      expect(first.ok).toBe(true);
      expect(receiver.status().storedObjectCount).toBe(2);
      const second = await sender.storeRequestBatch([key("r3"), key("r4")], [chunk(MIB, 3), chunk(MIB, 4)], {
        requestId: "req-1",
        lastBatch: true,
      });
      expect(second.ok).toBe(false);
      await until(() => receiver.status().storedObjectCount === 0);
      expect(receiver.status().stagingBytesUsed).toBe(0);
    });

    it("a large store goes out in sub-batches; if one fails, none of its keys stay, earlier keys do", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, { ...extra, buffer_size: 20 * MIB, admission_timeout_ms: 50 });
      const sender = await senderOf(p, extra);
      expect((await sender.store([key("old")], [chunk(MIB, 1)])).ok).toBe(true);
      const big = [0, 1, 2].map((i) => chunk(8 * MIB, 10 + i));
      const failed = await sender.store(
        [key("old"), key("big0"), key("big1"), key("big2")],
        [chunk(MIB, 1), ...big],
      );
      expect(failed.ok).toBe(false);
      await until(() => receiver.status().storedObjectCount === 1);
      expect(
        (await receiver.lookupAndLock([key("old"), key("big0"), key("big1"), key("big2")])).toString(),
      ).toBe("1000");
      expect(receiver.status()).toMatchObject({ stagingBytesUsed: MIB, stagingBytesReserved: 0 });
      // Two sub-batches that fit: both confirmed, all bytes counted once.
      const ok = await sender.store([key("big0"), key("big1")], big.slice(0, 2));
      expect(ok).toEqual({ ok: true, bytesWritten: 16 * MIB });
    });

    it("closing the sender fails a pending store at once and the receiver rolls it back", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, { ...extra, buffer_size: 2 * MIB, admission_timeout_ms: 30_000 });
      const sender = await senderOf(p, extra);
      expect((await sender.store([key("a"), key("b")], [chunk(MIB, 1), chunk(MIB, 2)])).ok).toBe(true);
      const pending = sender.store([key("c")], [chunk(MIB, 3)]);
      await until(() => receiver.status().waitingBatches === 1);
      await sender.close();
      const result = await pending;
      expect(result.ok).toBe(false);
      await until(() => receiver.status().sessions === 0);
      await receiver.delete([key("a")]);
      expect(receiver.status()).toMatchObject({
        storedObjectCount: 1,
        stagingBytesReserved: 0,
        stagingBytesUsed: MIB,
      });
    });

    it("sends each key to the receiver of its rank, or of the context's tpRank", async () => {
      const p = await ports(2);
      const r0 = await receiverOf(p, extra, 0);
      const r1 = await receiverOf(p, extra, 1);
      const sender = await senderOf(p, extra);
      const keys = [key("k0", 0, 2), key("k1", 1, 2), key("k2", 1, 2)];
      expect((await sender.store(keys, [chunk(10, 1), chunk(20, 2), chunk(30, 3)])).ok).toBe(true);
      expect((await r0.lookupAndLock(keys)).toString()).toBe("100");
      expect((await r1.lookupAndLock(keys)).toString()).toBe("011");
      const pinned = await senderOf(p, extra, { tpRank: 1 });
      expect((await pinned.store([key("k9", 0, 2)], [chunk(5, 5)])).ok).toBe(true);
      expect((await r1.lookupAndLock([key("k9", 0, 2)])).toString()).toBe("1");
      const outOfRange = await sender.store([key("k5", 5, 8)], [chunk(5, 5)]);
      expect(outOfRange.ok).toBe(false);
      expect(outOfRange.error?.message).toMatch(/rank 5/);
    });

    it("refuses a sender with a wrong or missing token", async () => {
      const p = await ports();
      const receiver = await receiverOf(p, extra);
      for (const token of [{ auth_token: "other" }, {}]) {
        const sender = await senderOf(p, { transfer_channel: channel, ...token });
        const r = await sender.store([key("a")], [chunk(10, 1)]);
        expect(r.ok).toBe(false);
        expect(r.error?.message).toMatch(/auth_token/);
      }
      expect(receiver.status().storedObjectCount).toBe(0);
    });

    it("notifies the proxy after the last batch of a request, without blocking the store", async () => {
      const p = await ports();
      await receiverOf(p, extra);
      const messages: string[] = [];
      const proxy = createServer((s) => s.on("data", (d) => messages.push(String(d))));
      await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
      cleanups.push(() => new Promise((r) => proxy.close(r)));
      const proxyPort = (proxy.address() as { port: number }).port;
      const sender = await senderOf(p, { ...extra, proxy_host: "127.0.0.1", proxy_port: proxyPort });
      await sender.storeRequestBatch([key("a")], [chunk(10, 1)], { requestId: "req-7", lastBatch: false });
      await sender.flushProxyNotifications();
      expect(messages).toEqual([]);
      await sender.storeRequestBatch([key("b")], [chunk(10, 1)], { requestId: "req-7", lastBatch: true });
      await sender.flushProxyNotifications();
      await until(() => messages.length === 1);
      expect(JSON.parse(messages[0]!)).toEqual({ type: "pd_request_done", req_id: "req-7" });
    });

    it("logs a failed proxy notification and still succeeds", async () => {
      const p = await ports();
      await receiverOf(p, extra);
      const logger = recordingLogger();
      const sender = await senderOf(
        p,
        { ...extra, proxy_host: "127.0.0.1", proxy_port: await freePort() },
        { logger },
      );
      expect((await sender.store([key("a")], [chunk(10, 1)])).ok).toBe(true);
      await sender.flushProxyNotifications();
      expect(logger.warnings.some((w) => w.includes("proxy notification failed"))).toBe(true);
    });
  });
}

describe("pd creation checks", () => {
  it("rejects buffer_device cuda with a typed error", async () => {
    const p = mockPorts();
    const error = await createPdAdapter(config("receiver", p, { buffer_device: "cuda" })).catch((e) => e);
    expect(isL2Error(error, "NOT_SUPPORTED")).toBe(true);
    expect(error.field).toBe("buffer_device");
  });

  it("rejects nixl backends other than tcp", async () => {
    const p = mockPorts();
    const error = await createPdAdapter(config("sender", p, { nixl_backends: ["tcp", "ucx"] })).catch(
      (e) => e,
    );
    expect(isL2Error(error, "NOT_SUPPORTED")).toBe(true);
    expect(error.field).toBe("nixl_backends");
    expect(error.message).toMatch(/ucx/);
  });

  it("rejects a context tpRank without ports", async () => {
    const error = await createPdAdapter(config("sender", mockPorts()), { tpRank: 3 }).catch((e) => e);
    expect(isL2Error(error, "CONFIG_INVALID")).toBe(true);
  });

  it("reports a port in use as a typed error", async () => {
    const p = await tcpPorts();
    await receiverOf(p);
    const error = await createPdAdapter(config("receiver", p), { logger: quietLogger }).catch((e) => e);
    expect(isL2Error(error, "IO_FAILED")).toBe(true);
    expect(error.message).toMatch(/EADDRINUSE/);
  });
});

describe("pd failure handling over TCP", () => {
  it("a receiver that never answers fails the store with TIMEOUT instead of hanging", async () => {
    const p = await tcpPorts();
    const sockets: Socket[] = [];
    const servers: Server[] = [];
    // Answers the handshake and the attach (no token, so no proofs), then stays silent.
    const helloOk = { session: "s", receiver_id: "silent", max_chunk_bytes: MIB, max_keys: 8192 };
    for (const [port, reply] of [
      [p.init[0]!, encodeControlFrame(FrameType.HelloOk, 0, helloOk)],
      [p.alloc[0]!, encodeControlFrame(FrameType.AttachOk, 0, {})],
    ] as const) {
      const server = createServer((s) => {
        sockets.push(s);
        s.write(
          encodeControlFrame(FrameType.Challenge, 0, { version: 2, receiver_id: "silent", nonce: "00" }),
        );
        s.once("data", () => s.write(reply));
      });
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
      servers.push(server);
    }
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      for (const s of servers) await new Promise((r) => s.close(r));
    });
    const sender = await senderOf(p, { transfer_timeout_ms: 300 });
    const r = await sender.store([key("a")], [chunk(10, 1)]);
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe("TIMEOUT");
    expect(r.error?.message).toMatch(/transfer|confirmed/);
  });

  it("a batch stalled mid-payload is rolled back after transfer_timeout_ms; late bytes land nowhere", async () => {
    const p = await tcpPorts();
    const receiver = await receiverOf(p, { transfer_timeout_ms: 200, buffer_size: 2 * MIB });
    const socket = await attachRaw(p);
    socket.on("error", () => {});
    const granted = new Promise<number>((resolve) => {
      socket.once("data", (d: Buffer) => resolve(JSON.parse(d.subarray(16).toString()).slots[0]));
    });
    socket.write(
      encodeControlFrame(FrameType.AllocRequest, 1, {
        req_id: "r",
        keys: [key("stall").toJSON()],
        sizes: [MIB],
      }),
    );
    const slot = await granted;
    const header = Buffer.alloc(24);
    writeFrameHeader(header, FrameType.Data, 1, 8 + MIB);
    header.writeUInt32BE(slot, 16);
    // Half the payload: the receiver now reads this connection straight into the slot.
    socket.write(Buffer.concat([header, Buffer.alloc(MIB / 2, 0xee)]));
    await until(() => receiver.status().stagingBytesReserved === MIB);
    await until(() => receiver.status().stagingBytesReserved === 0);
    expect(receiver.status()).toMatchObject({ pendingBatches: 0, stagingBytesUsed: 0, storedObjectCount: 0 });
    socket.write(Buffer.alloc(MIB / 2, 0xee));
    // The freed region is reused by a real sender; the stalled peer's late bytes must not show up in it.
    const sender = await senderOf(p);
    expect((await sender.store([key("fresh")], [chunk(MIB, 0x11)])).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const target = new Uint8Array(MIB);
    expect((await receiver.load([key("fresh")], [target])).toString()).toBe("1");
    expect(target.every((b) => b === 0x11)).toBe(true);
    expect((await receiver.lookupAndLock([key("stall")])).toString()).toBe("0");
  });

  it("an attach without a handshake ticket is refused", async () => {
    const p = await tcpPorts();
    const receiver = await receiverOf(p);
    const socket = connect({ host: "127.0.0.1", port: p.alloc[0]! });
    cleanups.push(() => void socket.destroy());
    const next = frames(socket);
    expect((await next())?.type).toBe(FrameType.Challenge);
    socket.write(encodeControlFrame(FrameType.Attach, 0, { session: "0123", mac: "" }));
    const reply = await next();
    expect(reply?.type).toBe(FrameType.Refused);
    expect(String(reply?.body.reason)).toMatch(/handshake on the init port first/);
    expect(await next()).toBeNull();
    expect(receiver.status().sessions).toBe(0);
  });

  it("DATA for a slot granted to another connection closes only the offending connection", async () => {
    const p = await tcpPorts();
    const receiver = await receiverOf(p, { buffer_size: 8 * MIB });
    const honest = await senderOf(p);
    const intruder = await attachRaw(p);
    const closed = new Promise((r) => intruder.once("close", r));
    // Slot ids are small integers: the intruder writes to slot 1 of batch 1, which it never got.
    const header = Buffer.alloc(24);
    header.writeUInt32BE(FRAME_MAGIC, 0);
    header.writeUInt8(FrameType.Data, 4);
    header.writeUInt32BE(1, 8);
    header.writeUInt32BE(8 + 10, 12);
    header.writeUInt32BE(1, 16);
    intruder.write(Buffer.concat([header, Buffer.alloc(10)]));
    await closed;
    expect((await honest.store([key("ok")], [chunk(MIB, 9)])).ok).toBe(true);
    expect(receiver.status().storedObjectCount).toBe(1);
  });
});

/** Handshake and attach by hand (no token); returns the attached alloc-port socket. */
async function attachRaw(p: { init: number[]; alloc: number[] }): Promise<Socket> {
  const { socket } = await attach({ initPort: p.init[0]!, allocPort: p.alloc[0]! });
  cleanups.push(() => void socket.destroy());
  return socket;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
