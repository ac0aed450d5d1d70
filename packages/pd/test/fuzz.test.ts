import { connect, type Socket } from "node:net";
import { kvRank, ObjectKey } from "@x/l2-core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PdL2AdapterConfig } from "../src/config.js";
import { createPdAdapter } from "../src/pd-adapter.js";
import type { PdReceiverAdapter } from "../src/receiver.js";
import type { PdSenderAdapter } from "../src/sender.js";
import { encodeAllocRequest, encodeControlFrame, ProtocolError } from "../src/wire/codec.js";
import { FRAME_MAGIC, FrameType, writeFrameHeader } from "../src/wire/frame.js";
import { FrameReader } from "../src/wire/frame-reader.js";
import { attach } from "./fixtures/wire-client.mjs";
import { freePort, quietLogger } from "./helpers.js";

const SEED = 20_260_611;
const key = (name: string) =>
  new ObjectKey({ chunkHash: Buffer.from(name), modelName: "m", kvRank: kvRank(1, 0, 1, 0) });

/** Frames that are valid or nearly valid, so the fuzzer reaches past the magic check. */
const frameLike = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .record({
      type: fc.integer({ min: 0, max: 12 }),
      corr: fc.nat(),
      length: fc.oneof(
        fc.nat({ max: 300 }),
        fc.constant(0xffffffff),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      ),
      body: fc.uint8Array({ maxLength: 300 }),
    })
    .map(({ type, corr, length, body }) => {
      const header = Buffer.alloc(16);
      writeFrameHeader(header, type as FrameType, corr, length);
      return new Uint8Array(Buffer.concat([header, body]));
    }),
  fc.constantFrom(
    encodeControlFrame(FrameType.Hello, 0, { version: 2, sender_id: "x", nonce: "00", mac: "" }),
    encodeControlFrame(FrameType.Hello, 0, { version: 2, sender_id: "x", nonce: "00", mac: "ab".repeat(32) }),
    encodeControlFrame(FrameType.Attach, 0, { session: "nope", mac: "" }),
    encodeControlFrame(FrameType.Challenge, 0, { version: 2, nonce: "00" }),
    encodeAllocRequest(1, "r", [key("a")], [1 << 20]),
    encodeControlFrame(FrameType.AllocRequest, 2, { req_id: "r", keys: [{}], sizes: [-1] }),
    encodeControlFrame(FrameType.AllocRequest, 3, { req_id: "r", keys: new Array(9000).fill(0), sizes: [] }),
    encodeControlFrame(FrameType.Cancel, 0, { req_id: 5 }),
    encodeControlFrame(FrameType.Cancel, 0, { req_id: "", keys: [] }),
    encodeAllocRequest(4, "", [key("b")], [10]),
    encodeAllocRequest(5, "r", [key("c"), key("d")], [10, 10], true),
    Buffer.concat([encodeAllocRequest(6, "r", [key("e")], [4], true), dataFrame(6, 0, 0, 4)]),
    dataFrame(5, 0, 1, 10),
    dataFrame(5, 0, 7, 10),
  ),
);

/** A DATA frame with `size` payload bytes: slot id, key index (pushed batches use slot 0). */
function dataFrame(corr: number, slot: number, index: number, size: number): Buffer {
  const frame = Buffer.alloc(24 + size, 0x33);
  writeFrameHeader(frame, FrameType.Data, corr, 8 + size);
  frame.writeUInt32BE(slot, 16);
  frame.writeUInt32BE(index, 20);
  return frame;
}

describe("FrameReader on arbitrary bytes", () => {
  it("either parses or throws ProtocolError, never anything else", () => {
    fc.assert(
      fc.property(
        fc.array(frameLike, { maxLength: 6 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 5 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(frames);
          const reader = new FrameReader(
            {
              onControl: () => {},
              onDataStart: (_c, _s, length) => new Uint8Array(length),
              onDataEnd: () => {},
            },
            { maxDataPayload: 1024 },
          );
          let pos = 0;
          try {
            for (const cut of [...cuts, bytes.length]) {
              const end = Math.min(bytes.length, pos + cut);
              reader.push(bytes.subarray(pos, end));
              pos = end;
            }
            reader.push(bytes.subarray(pos));
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("delivers frames split at every byte boundary", () => {
    const frame = Buffer.concat([
      encodeControlFrame(FrameType.Cancel, 9, { req_id: "r", keys: [] }),
      (() => {
        const h = Buffer.alloc(24);
        writeFrameHeader(h, FrameType.Data, 4, 8 + 5);
        h.writeUInt32BE(77, 16);
        return Buffer.concat([h, Buffer.from("hello")]);
      })(),
    ]);
    const target = new Uint8Array(5);
    const seen: string[] = [];
    const reader = new FrameReader(
      {
        onControl: (type, corr, body) => seen.push(`${type}/${corr}/${body.toString()}`),
        onDataStart: (corr, slot, length) => {
          seen.push(`data ${corr}/${slot}/${length}`);
          return target;
        },
        onDataEnd: () => seen.push(`end ${Buffer.from(target).toString()}`),
      },
      { maxDataPayload: 64 },
    );
    for (const byte of frame) reader.push(Buffer.from([byte]));
    expect(seen).toEqual([`${FrameType.Cancel}/9/{"req_id":"r","keys":[]}`, "data 4/77/5", "end hello"]);
  });

  it("rejects oversized lengths before buffering anything", () => {
    const reader = new FrameReader(
      { onControl: () => {}, onDataStart: () => new Uint8Array(0), onDataEnd: () => {} },
      { maxDataPayload: 1024 },
    );
    const header = Buffer.alloc(16);
    writeFrameHeader(header, FrameType.Data, 1, 8 + 1025);
    expect(() => reader.push(header)).toThrow(/outside 0..1024/);
    const control = new FrameReader(
      { onControl: () => {}, onDataStart: () => new Uint8Array(0), onDataEnd: () => {} },
      { maxDataPayload: 0 },
    );
    writeFrameHeader(header, FrameType.AllocRequest, 1, 0xffffffff);
    expect(() => control.push(header)).toThrow(/exceeds/);
    expect(header.readUInt32BE(0)).toBe(FRAME_MAGIC);
  });
});

describe("receiver under random and truncated frames (TCP)", () => {
  let receiver: PdReceiverAdapter;
  let sender: PdSenderAdapter;
  let ports: { init: number; alloc: number };

  beforeAll(async () => {
    ports = { init: await freePort(), alloc: await freePort() };
    const base = {
      peer_host: "127.0.0.1",
      peer_init_port: [ports.init],
      peer_alloc_port: [ports.alloc],
      buffer_size: 8 << 20,
    };
    receiver = (await createPdAdapter(PdL2AdapterConfig.fromDict({ ...base, role: "receiver" }), {
      logger: quietLogger,
    })) as PdReceiverAdapter;
    sender = (await createPdAdapter(PdL2AdapterConfig.fromDict({ ...base, role: "sender" }), {
      logger: quietLogger,
    })) as PdSenderAdapter;
  });
  afterAll(async () => {
    await sender?.close();
    await receiver?.close();
  });

  async function attached(): Promise<Socket> {
    const { socket } = await attach({ initPort: ports.init, allocPort: ports.alloc });
    socket.on("error", () => {});
    socket.resume();
    return socket;
  }

  it("never crashes, closes only the bad connection, and keeps serving a real sender", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("init", "alloc", "attached"),
        fc.array(frameLike, { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 100 }),
        async (where, frames, truncatePercent) => {
          const bytes = Buffer.concat(frames);
          const cut = bytes.subarray(0, Math.ceil((bytes.length * (100 - truncatePercent / 2)) / 100));
          const socket =
            where === "attached"
              ? await attached()
              : connect({ host: "127.0.0.1", port: where === "init" ? ports.init : ports.alloc });
          socket.on("error", () => {});
          socket.resume();
          await new Promise<void>((resolve) => socket.write(cut, () => resolve()));
          await new Promise((r) => setTimeout(r, 2));
          socket.destroy();
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
    // The receiver is alive, rolled everything back, and a real sender still gets through.
    const deadline = Date.now() + 5000;
    while ((receiver.status().sessions as number) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(receiver.status()).toMatchObject({
      healthy: true,
      sessions: 0,
      stagingBytesReserved: 0,
      pendingBatches: 0,
    });
    const payload = new Uint8Array(1 << 20).fill(7);
    expect((await sender.store([key("after-fuzz")], [payload])).ok).toBe(true);
    const target = new Uint8Array(1 << 20);
    expect((await receiver.load([key("after-fuzz")], [target])).toString()).toBe("1");
    expect(target[12345]).toBe(7);
  }, 60_000);
});
