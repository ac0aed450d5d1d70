import type { KeyListPage, L2Adapter, ListKeysOptions } from "@x/l2-core";
import { isL2Error } from "@x/l2-core";
import { expect } from "vitest";
import { randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectL2Rejection } from "../expect-helpers.js";

/** Walks every page; fails on a page larger than pageSize or a cursor loop. */
async function listAll(adapter: L2Adapter, options: ListKeysOptions): Promise<KeyListPage[]> {
  const pages: KeyListPage[] = [];
  let cursor = options.cursor;
  for (;;) {
    const page = await adapter.listKeys({ ...options, cursor });
    expect(Array.isArray(page.entries), "page.entries is an array").toBe(true);
    expect(page.entries.length, `page size with pageSize ${options.pageSize}`).toBeLessThanOrEqual(
      options.pageSize,
    );
    pages.push(page);
    if (page.nextCursor === null) return pages;
    expect(typeof page.nextCursor, "nextCursor is a string or null").toBe("string");
    if (pages.length > 10_000) throw new Error("listKeys never returned nextCursor: null");
    cursor = page.nextCursor;
  }
}

const entriesOf = (pages: readonly KeyListPage[]) => pages.flatMap((p) => p.entries);

export const listCases: CaseDefinition[] = [
  {
    id: "list.capability-honest",
    rule: "listKeys rejects with NOT_SUPPORTED exactly when capabilities.listKeys is false",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const declared = ctx.options.capabilities?.listKeys;
      const reported = adapter.capabilities?.listKeys;
      expect(typeof reported, "capabilities.listKeys is a boolean").toBe("boolean");
      if (declared !== undefined)
        expect(reported, "capabilities.listKeys agrees with the declared capabilities").toBe(declared);
      if (!reported) {
        await expectL2Rejection(
          adapter.listKeys({ pageSize: 10 }),
          "NOT_SUPPORTED",
          "listKeys() without the capability",
        );
        return;
      }
      try {
        const page = await adapter.listKeys({ pageSize: 10 });
        expect(page.entries, "entries of an empty adapter").toEqual([]);
        expect(page.nextCursor, "nextCursor of an empty adapter").toBeNull();
      } catch (error) {
        const code = isL2Error(error) ? error.code : String(error);
        throw new Error(`listKeys() rejected (${code}) although capabilities.listKeys is true`);
      }
    },
  },
  {
    id: "list.pages-all-keys",
    rule: "paging with nextCursor returns every stored key exactly once with its size, then a null cursor",
    requires: "listKeys",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(23);
      await adapter.store(
        keys,
        keys.map((_, i) => randomBytes(10 + i)),
      );
      const expected = keys.map((k, i) => `${k.id}:${10 + i}`).sort();
      const pages = await listAll(adapter, { pageSize: 5 });
      expect(pages.length, "pages of 5 for 23 keys").toBe(5);
      const got = entriesOf(pages).map((e) => `${e.key.id}:${e.sizeBytes}`);
      expect([...got].sort(), "listed keys and sizes (pageSize 5)").toEqual(expected);
      const single = await adapter.listKeys({ pageSize: 10_000 });
      expect(single.nextCursor, "nextCursor of a page holding everything").toBeNull();
      expect(
        single.entries.map((e) => `${e.key.id}:${e.sizeBytes}`).sort(),
        "listed keys (pageSize 10000)",
      ).toEqual(expected);
    },
  },
  {
    id: "list.model-filter",
    rule: "listKeys with modelName returns only that model's keys",
    requires: "listKeys",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const a = ctx.keys(4, { modelName: "org/model-a" });
      const b = ctx.keys(3, { modelName: "org/model-b" });
      await adapter.store(
        [...a, ...b],
        [...a, ...b].map(() => randomBytes(8)),
      );
      const listed = entriesOf(await listAll(adapter, { pageSize: 2, modelName: "org/model-b" }));
      expect(listed.map((e) => e.key.id).sort(), "keys listed for org/model-b").toEqual(
        b.map((k) => k.id).sort(),
      );
      const none = await adapter.listKeys({ pageSize: 10, modelName: "org/no-such-model" });
      expect(none.entries.length, "keys listed for an unknown model").toBe(0);
      expect(none.nextCursor, "nextCursor for an unknown model").toBeNull();
    },
  },
  {
    id: "list.page-size-validation",
    rule: "pageSize must be an integer from 1 to 10000; anything else rejects with ARGUMENT_INVALID",
    requires: "listKeys",
    async run(ctx) {
      const adapter = await ctx.adapter();
      for (const pageSize of [0, -1, 2.5, 10_001, Number.NaN, "5" as never]) {
        await expectL2Rejection(
          adapter.listKeys({ pageSize }),
          "ARGUMENT_INVALID",
          `listKeys({ pageSize: ${String(pageSize)} })`,
        );
      }
      await adapter.listKeys({ pageSize: 1 });
      await adapter.listKeys({ pageSize: 10_000 });
    },
  },
  {
    id: "list.stable-cursor",
    rule: "a cursor stays valid while keys change: no key twice, every key present throughout listed once",
    requires: "listKeys",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(12);
      await adapter.store(
        keys,
        keys.map(() => randomBytes(8)),
      );
      const first = await adapter.listKeys({ pageSize: 4 });
      expect(first.nextCursor, "nextCursor after the first of 3 pages").not.toBeNull();
      const cursor = first.nextCursor!;
      const repeat = await adapter.listKeys({ pageSize: 4, cursor });
      const again = await adapter.listKeys({ pageSize: 4, cursor });
      expect(
        again.entries.map((e) => e.key.id),
        "the same cursor twice gives the same page",
      ).toEqual(repeat.entries.map((e) => e.key.id));
      const seenFirst = first.entries.map((e) => e.key.id);
      // Change the key set: delete two listed keys and one not yet listed, add three (sorting last, so
      // they cannot refill the gap the deletes leave; an offset-based cursor then skips keys).
      const unlisted = keys.find((k) => !seenFirst.includes(k.id))!;
      const removed = new Set([seenFirst[0]!, seenFirst[1]!, unlisted.id]);
      await adapter.delete(keys.filter((k) => removed.has(k.id)));
      const added = ctx.keys(3, { modelName: "zz-conformance/added" });
      await adapter.store(
        added,
        added.map(() => randomBytes(8)),
      );
      const rest = entriesOf(await listAll(adapter, { pageSize: 4, cursor })).map((e) => e.key.id);
      const all = [...seenFirst, ...rest];
      expect(all.length, "no key listed twice").toBe(new Set(all).size);
      const stable = keys.filter((k) => !removed.has(k.id)).map((k) => k.id);
      for (const id of stable) expect(all, "a key present throughout is listed").toContain(id);
    },
  },
];
