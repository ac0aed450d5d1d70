import type { L2AdapterListener, ObjectKey } from "@x/l2-core";
import { expect } from "vitest";
import { assertBytesEqual, randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectBits } from "../expect-helpers.js";

/** Records events as "id:size" strings, so the order of calls and batching do not matter. */
class RecordingListener implements L2AdapterListener {
  stored: string[] = [];
  accessed: string[] = [];
  deleted: string[] = [];

  onKeysStored(keys: readonly ObjectKey[], sizes: readonly number[]): void {
    for (const [i, key] of keys.entries()) this.stored.push(`${key.id}:${sizes[i]}`);
  }

  onKeysAccessed(keys: readonly ObjectKey[]): void {
    for (const key of keys) this.accessed.push(key.id);
  }

  onKeysDeleted(keys: readonly ObjectKey[], sizes: readonly number[]): void {
    for (const [i, key] of keys.entries()) this.deleted.push(`${key.id}:${sizes[i]}`);
  }
}

const sorted = (items: readonly string[]) => [...items].sort();

export const listenerCases: CaseDefinition[] = [
  {
    id: "listener.stored-event",
    rule: "onKeysStored reports each newly stored key with its size once the store settles; re-stores are not reported",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const events = new RecordingListener();
      adapter.addListener(events);
      const [k1, k2] = [ctx.key(), ctx.key()];
      await adapter.store([k1, k2], [randomBytes(100), randomBytes(200)]);
      expect(sorted(events.stored), "stored events").toEqual(sorted([`${k1.id}:100`, `${k2.id}:200`]));
      await adapter.store([k1], [randomBytes(100)]);
      expect(events.stored.length, "stored events after a re-store").toBe(2);
    },
  },
  {
    id: "listener.accessed-event",
    rule: "onKeysAccessed reports every key a load hit, and no key it missed",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const events = new RecordingListener();
      adapter.addListener(events);
      const [hit, wrongSize, missing] = [ctx.key(), ctx.key(), ctx.key()];
      await adapter.store([hit, wrongSize], [randomBytes(64), randomBytes(64)]);
      await adapter.load(
        [hit, wrongSize, missing],
        [new Uint8Array(64), new Uint8Array(65), new Uint8Array(64)],
      );
      expect([...new Set(events.accessed)], "accessed events").toEqual([hit.id]);
    },
  },
  {
    id: "listener.deleted-event",
    rule: "onKeysDeleted reports each removed key with its size; locked and missing keys are not reported",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const events = new RecordingListener();
      adapter.addListener(events);
      const [gone, locked, missing] = [ctx.key(), ctx.key(), ctx.key()];
      await adapter.store([gone, locked], [randomBytes(100), randomBytes(200)]);
      await adapter.lookupAndLock([locked]);
      await adapter.delete([gone, locked, missing]);
      expect(events.deleted, "deleted events").toEqual([`${gone.id}:100`]);
      await adapter.delete([gone]);
      expect(events.deleted.length, "deleted events after a second delete").toBe(1);
      adapter.unlock([locked]);
    },
  },
  {
    id: "listener.throwing-does-not-break",
    rule: "a listener that throws neither fails the operation nor stops other listeners",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const boom = () => {
        throw new Error("listener failure injected by the conformance kit");
      };
      adapter.addListener({ onKeysStored: boom, onKeysAccessed: boom, onKeysDeleted: boom });
      const events = new RecordingListener();
      adapter.addListener(events);
      const key = ctx.key();
      const value = randomBytes(256);
      const result = await adapter.store([key], [value]);
      expect(result.ok, "store ok with a throwing listener").toBe(true);
      const target = new Uint8Array(256);
      expectBits(await adapter.load([key], [target]), "1", "load with a throwing listener");
      assertBytesEqual(target, value, "loaded value");
      await adapter.delete([key]);
      expectBits(await adapter.lookupAndLock([key]), "0", "lookup after delete with a throwing listener");
      expect(events.stored.length, "the other listener still got the stored event").toBe(1);
      expect(
        events.accessed.length,
        "the other listener still got the accessed event",
      ).toBeGreaterThanOrEqual(1);
      expect(events.deleted.length, "the other listener still got the deleted event").toBe(1);
    },
  },
  {
    id: "listener.remove",
    rule: "the function returned by addListener stops further events and is safe to call twice",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const events = new RecordingListener();
      const remove = adapter.addListener(events);
      expect(typeof remove, "addListener returns a function").toBe("function");
      await adapter.store([ctx.key()], [randomBytes(10)]);
      remove();
      remove();
      await adapter.store([ctx.key()], [randomBytes(10)]);
      expect(events.stored.length, "stored events after the listener was removed").toBe(1);
    },
  },
];
