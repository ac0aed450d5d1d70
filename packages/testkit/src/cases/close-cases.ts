import { expect } from "vitest";
import { randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectL2Rejection } from "../expect-helpers.js";
import { withTimeout } from "../timeout.js";

const MIB = 1024 * 1024;

export const closeCases: CaseDefinition[] = [
  {
    id: "close.idempotent",
    rule: "close() may be called any number of times, also concurrently; every call resolves",
    async run(ctx) {
      const adapter = await ctx.adapter();
      await adapter.store([ctx.key()], [randomBytes(100)]);
      await Promise.all([adapter.close(), adapter.close()]);
      await adapter.close();
    },
  },
  {
    id: "close.closed-flag",
    rule: "closed is false before close() and true from the moment close() is called",
    async run(ctx) {
      const adapter = await ctx.adapter();
      expect(adapter.closed, "closed before close()").toBe(false);
      const closing = adapter.close();
      expect(adapter.closed, "closed right after calling close()").toBe(true);
      await closing;
      expect(adapter.closed, "closed after close() resolved").toBe(true);
    },
  },
  {
    id: "close.rejects-after-close",
    rule: "after close, store/lookupAndLock/load/delete/listKeys reject with ADAPTER_CLOSED (never hang); unlock/usage/status still work",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      await adapter.store([key], [randomBytes(100)]);
      await adapter.close();
      await expectL2Rejection(
        adapter.store([ctx.key()], [randomBytes(10)]),
        "ADAPTER_CLOSED",
        "store() after close",
      );
      await expectL2Rejection(adapter.lookupAndLock([key]), "ADAPTER_CLOSED", "lookupAndLock() after close");
      await expectL2Rejection(
        adapter.load([key], [new Uint8Array(100)]),
        "ADAPTER_CLOSED",
        "load() after close",
      );
      await expectL2Rejection(adapter.delete([key]), "ADAPTER_CLOSED", "delete() after close");
      await expectL2Rejection(adapter.listKeys({ pageSize: 10 }), "ADAPTER_CLOSED", "listKeys() after close");
      expect(() => adapter.unlock([key]), "unlock() after close").not.toThrow();
      expect(adapter.usage().totalBytesUsed, "usage() after close").toBeGreaterThanOrEqual(0);
      expect(typeof adapter.status().healthy, "status().healthy after close").toBe("boolean");
    },
  },
  {
    id: "close.settles-inflight",
    rule: "operations running when close() is called settle, and close() resolves only after they did",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const size = Math.min(MIB, Math.max(...ctx.chunkSizes));
      const stored = ctx.key();
      await adapter.store([stored], [randomBytes(size)]);
      const settled: boolean[] = [];
      const track = (promise: Promise<unknown>) => {
        const i = settled.push(false) - 1;
        const mark = () => {
          settled[i] = true;
        };
        promise.then(mark, mark);
        return promise;
      };
      const keys = ctx.keys(4);
      const operations = [
        track(
          adapter.store(
            keys,
            keys.map(() => randomBytes(size)),
          ),
        ),
        track(adapter.load([stored], [new Uint8Array(size)])),
        track(adapter.lookupAndLock([stored])),
        track(adapter.delete([ctx.key()])),
      ];
      // Snapshot the flags at the instant close() resolves, before anything else can run.
      const unsettledAtClose = await adapter.close().then(() => settled.filter((s) => !s).length);
      expect(unsettledAtClose, "operations still running when close() resolved").toBe(0);
      const outcomes = await withTimeout(
        Promise.allSettled(operations),
        ctx.timeoutMs,
        "in-flight operations",
      );
      expect(outcomes.length).toBe(4);
    },
  },
];
