import { kvRank, ObjectKey } from "@x/l2-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PdL2AdapterConfig } from "../src/config.js";
import { createPdAdapter } from "../src/pd-adapter.js";
import type { PdReceiverAdapter } from "../src/receiver.js";
import type { PdSenderAdapter } from "../src/sender.js";
import { patternChunk } from "./fixtures/pattern.mjs";
import { Child, checkChildrenCanRun, freePort, quietLogger } from "./helpers.js";

const MIB = 1024 * 1024;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => checkChildrenCanRun());

async function ports() {
  return { init: await freePort(), alloc: await freePort() };
}

function dict(
  role: "sender" | "receiver",
  p: { init: number; alloc: number },
  extra: Record<string, unknown> = {},
) {
  return {
    role,
    peer_host: "127.0.0.1",
    peer_init_port: [p.init],
    peer_alloc_port: [p.alloc],
    auth_token: "pd-test-token",
    ...extra,
  };
}

async function localReceiver(p: { init: number; alloc: number }, extra: Record<string, unknown> = {}) {
  const receiver = (await createPdAdapter(PdL2AdapterConfig.fromDict(dict("receiver", p, extra)), {
    logger: quietLogger,
  })) as PdReceiverAdapter;
  cleanups.push(() => receiver.close());
  return receiver;
}

const key = (prefix: string, i: number) =>
  new ObjectKey({ chunkHash: Buffer.from(`${prefix}-${i}`), modelName: "m", kvRank: kvRank(1, 0, 1, 0) });

function runSender(job: Record<string, unknown>): Child {
  const child = new Child("sender-child.mjs", [JSON.stringify(job)]);
  cleanups.push(() => child.kill());
  return child;
}

/** Loads every chunk back and compares it with the pattern the sender wrote. */
async function expectChunks(
  receiver: PdReceiverAdapter,
  prefix: string,
  count: number,
  size: number,
  seedBase: number,
) {
  const target = new Uint8Array(size);
  for (let i = 0; i < count; i++) {
    target.fill(0);
    const hit = await receiver.load([key(prefix, i)], [target]);
    expect(hit.toString(), `chunk ${i}`).toBe("1");
    expect(Buffer.compare(target, patternChunk(size, seedBase + i)), `chunk ${i} bytes`).toBe(0);
  }
}

describe("pd transfers between processes (TCP on 127.0.0.1)", () => {
  it("moves 256 MiB in 4 MiB chunks from a sender process and loads it back byte-identical", async () => {
    const p = await ports();
    const receiver = await localReceiver(p, { buffer_size: 272 * MIB });
    const child = runSender({
      config: dict("sender", p),
      count: 64,
      size: 4 * MIB,
      batch: 8,
      prefix: "big",
      seedBase: 1,
    });
    const { results } = await child.next<{ results: { ok: boolean; bytes: number }[] }>(60_000);
    expect(results).toHaveLength(8);
    expect(results.every((r) => r.ok && r.bytes === 8 * 4 * MIB)).toBe(true);
    expect(receiver.usage().totalBytesUsed).toBe(256 * MIB);
    await expectChunks(receiver, "big", 64, 4 * MIB, 1);
  }, 60_000);

  it("a sender killed mid-batch leaves no partial key and frees its reservation", async () => {
    const p = await ports();
    const receiver = await localReceiver(p, { buffer_size: 32 * MIB });
    const child = new Child("partial-sender.mjs", [
      "127.0.0.1",
      String(p.init),
      String(p.alloc),
      "pd-test-token",
      String(4 * MIB),
    ]);
    cleanups.push(() => child.kill());
    const paused = await child.next<{ paused: boolean; slots: number[] }>();
    expect(paused.slots.every((s) => s > 0)).toBe(true);
    // Wait until the receiver has the first key's bytes and half the second's, still uncommitted.
    await until(() => receiver.status().pendingBatches === 1);
    expect(receiver.status().stagingBytesReserved).toBe(8 * MIB);
    expect((await receiver.lookupAndLock([key("partial", 0), key("partial", 1)])).toString()).toBe("00");
    await child.kill();
    await until(() => receiver.status().sessions === 0);
    const status = receiver.status();
    expect(status.pendingBatches).toBe(0);
    expect(status.stagingBytesReserved).toBe(0);
    expect(status.stagingBytesUsed).toBe(0);
    expect((await receiver.lookupAndLock([key("partial", 0), key("partial", 1)])).toString()).toBe("00");
    // The space is usable again: a full batch of the same size fits.
    const sender = (await createPdAdapter(PdL2AdapterConfig.fromDict(dict("sender", p)), {
      logger: quietLogger,
    })) as PdSenderAdapter;
    cleanups.push(() => sender.close());
    const chunks = [0, 1, 2, 3, 4, 5, 6].map((i) => patternChunk(4 * MIB, i));
    const r = await sender.store(
      chunks.map((_, i) => key("after", i)),
      chunks,
    );
    expect(r.ok).toBe(true);
  }, 30_000);

  it("a killed receiver fails the store quickly, and storing works again once a receiver is back", async () => {
    const p = await ports();
    // 40 MiB of staging: the second 32 MiB batch has to wait for space (up to 20 s).
    const receiverConfig = JSON.stringify(
      dict("receiver", p, { buffer_size: 40 * MIB, admission_timeout_ms: 20_000 }),
    );
    let receiver = new Child("receiver-child.mjs", [receiverConfig]);
    cleanups.push(() => receiver.kill());
    await receiver.next();
    const sender = (await createPdAdapter(
      PdL2AdapterConfig.fromDict(
        dict("sender", p, { connect_timeout_ms: 2000, transfer_timeout_ms: 15_000 }),
      ),
      { logger: quietLogger },
    )) as PdSenderAdapter;
    cleanups.push(() => sender.close());
    const chunks = Array.from({ length: 8 }, (_, i) => patternChunk(4 * MIB, i));
    expect(
      (
        await sender.store(
          chunks.map((_, i) => key("a", i)),
          chunks,
        )
      ).ok,
    ).toBe(true);

    // Kill the receiver while a batch is pending on it: the store fails at once, long before any timeout.
    const inflight = sender.store(
      chunks.map((_, i) => key("b", i)),
      chunks,
    );
    for (let waiting = 0; waiting === 0; ) {
      receiver.send("status");
      waiting = (await receiver.next<{ waitingBatches: number }>()).waitingBatches;
    }
    const killedAt = Date.now();
    await receiver.kill();
    const failed = await inflight;
    expect(failed.ok).toBe(false);
    expect(failed.error?.code).toBe("TRANSFER_FAILED");
    expect(Date.now() - killedAt).toBeLessThan(5000);

    // With no receiver on the port, stores fail fast instead of hanging.
    const started = Date.now();
    const down = await sender.store([key("c", 0)], [chunks[0]!]);
    expect(down.ok).toBe(false);
    expect(down.error?.code).toBe("TRANSFER_FAILED");
    expect(Date.now() - started).toBeLessThan(5000);

    // A new receiver on the same ports: the sender reconnects on its own.
    receiver = new Child("receiver-child.mjs", [receiverConfig]);
    cleanups.push(() => receiver.kill());
    await receiver.next();
    const again = await sender.store(
      chunks.map((_, i) => key("d", i)),
      chunks,
    );
    expect(again).toMatchObject({ ok: true, bytesWritten: 32 * MIB });
    receiver.send("status");
    const status = await receiver.next<{ storedObjectCount: number }>();
    expect(status.storedObjectCount).toBe(8);
  }, 30_000);

  it("serves two sender processes at once", async () => {
    const p = await ports();
    const receiver = await localReceiver(p, { buffer_size: 160 * MIB });
    const a = runSender({
      config: dict("sender", p),
      count: 16,
      size: 4 * MIB,
      batch: 4,
      prefix: "s1",
      seedBase: 100,
    });
    const b = runSender({
      config: dict("sender", p),
      count: 16,
      size: 4 * MIB,
      batch: 4,
      prefix: "s2",
      seedBase: 200,
    });
    const [ra, rb] = await Promise.all([
      a.next<{ results: { ok: boolean }[] }>(),
      b.next<{ results: { ok: boolean }[] }>(),
    ]);
    expect(ra.results.every((r) => r.ok)).toBe(true);
    expect(rb.results.every((r) => r.ok)).toBe(true);
    await expectChunks(receiver, "s1", 16, 4 * MIB, 100);
    await expectChunks(receiver, "s2", 16, 4 * MIB, 200);
    expect(receiver.status().storedObjectCount).toBe(32);
  }, 30_000);

  it("refuses a sender process with a wrong token", async () => {
    const p = await ports();
    const receiver = await localReceiver(p);
    const child = runSender({
      config: dict("sender", p, { auth_token: "wrong" }),
      count: 2,
      size: MIB,
      batch: 2,
      prefix: "bad",
      seedBase: 0,
    });
    const { results } = await child.next<{ results: { ok: boolean; code: string; message: string }[] }>();
    expect(results[0]).toMatchObject({ ok: false, code: "TRANSFER_FAILED" });
    expect(results[0]!.message).toMatch(/auth_token/);
    expect(receiver.status().storedObjectCount).toBe(0);
    expect(receiver.status().sessions).toBe(0);
  }, 30_000);
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
