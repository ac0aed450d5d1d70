import { isL2Error } from "@x/l2-core";
import { describe, expect, it } from "vitest";
import {
  CONFORMANCE_CASE_IDS,
  ConformanceTimeoutError,
  conformanceCases,
  createTempDir,
  runConformanceCases,
  withTempDir,
} from "../src/index.js";
import { FaultyAdapter } from "./support/faulty-adapter.js";

/** The fault-free reference adapter; `opDelayMs` makes every operation really in flight. */
const mock = (opDelayMs = 0) => new FaultyAdapter(undefined, { opDelayMs });

function expectArgumentError(fn: () => unknown, field: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isL2Error(thrown, "ARGUMENT_INVALID"), String(thrown)).toBe(true);
  expect((thrown as Error).message).toContain(field);
}

describe("skip option", () => {
  it("a skipped case is reported as skipped with its reason and a title that shows both", async () => {
    const cases = conformanceCases({
      name: "mock",
      create: () => mock(),
      skip: { "lock.refcount": "backend has no lock counts (documented limitation)" },
    });
    const skipped = cases.find((c) => c.id === "lock.refcount")!;
    expect(skipped.title).toBe("skipped: lock.refcount — backend has no lock counts (documented limitation)");
    const outcome = await skipped.run();
    expect(outcome).toMatchObject({
      status: "skipped",
      reason: "backend has no lock counts (documented limitation)",
    });
    expect(cases.filter((c) => c.skipReason !== undefined).map((c) => c.id)).toEqual(["lock.refcount"]);
  });

  it("a skip without a reason throws", () => {
    for (const reason of ["", "   ", undefined, 42]) {
      expectArgumentError(
        () =>
          conformanceCases({ name: "x", create: () => mock(), skip: { "lock.refcount": reason as never } }),
        'skip["lock.refcount"]',
      );
    }
  });

  it("a skip naming an unknown case throws, listing the known ids", () => {
    expectArgumentError(
      () => conformanceCases({ name: "x", create: () => mock(), skip: { "lock.recount": "typo" } }),
      'skip["lock.recount"]',
    );
  });
});

describe("options validation", () => {
  it("rejects bad names, factories, chunk sizes and timeouts with the field named", () => {
    expectArgumentError(() => conformanceCases({ name: "", create: () => mock() }), "name");
    expectArgumentError(() => conformanceCases({ name: "x", create: undefined as never }), "create");
    expectArgumentError(
      () => conformanceCases({ name: "x", create: () => mock(), chunkSizes: [] }),
      "chunkSizes",
    );
    expectArgumentError(
      () => conformanceCases({ name: "x", create: () => mock(), chunkSizes: [0] }),
      "chunkSizes[0]",
    );
    expectArgumentError(
      () => conformanceCases({ name: "x", create: () => mock(), timeoutMs: -5 }),
      "timeoutMs",
    );
    expectArgumentError(
      () => conformanceCases({ name: "x", create: () => mock(), capabilities: { listKeys: "yes" as never } }),
      "capabilities.listKeys",
    );
  });

  it("every case id is unique and names an area and a rule", () => {
    expect(new Set(CONFORMANCE_CASE_IDS).size).toBe(CONFORMANCE_CASE_IDS.length);
    for (const id of CONFORMANCE_CASE_IDS) expect(id).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
  });
});

describe("capabilities", () => {
  it("listKeys cases are skipped with a reason when the adapter reports no listKeys capability", async () => {
    const outcomes = await runConformanceCases({
      name: "no-list",
      create: () => new FaultyAdapter("list-capability-lies"),
      chunkSizes: [1, 4096],
    });
    const listOutcomes = outcomes.filter(
      (o) => o.id.startsWith("list.") && o.id !== "list.capability-honest",
    );
    expect(listOutcomes.length).toBe(4);
    for (const o of listOutcomes) {
      expect(o.status).toBe("skipped");
      expect(o.reason).toContain("capabilities.listKeys");
    }
  });

  it("a declared capability the adapter does not report fails list.capability-honest", async () => {
    const outcomes = await runConformanceCases({
      name: "declared",
      create: () => mock(),
      capabilities: { listKeys: false },
      chunkSizes: [1],
    });
    expect(outcomes.find((o) => o.id === "list.capability-honest")?.status).toBe("failed");
    expect(outcomes.find((o) => o.id === "list.pages-all-keys")).toMatchObject({
      status: "skipped",
      reason: "adapter declares capabilities.listKeys = false",
    });
  });
});

describe("hangs and cleanup", () => {
  it("a create() that never settles fails each case with a timeout instead of hanging the suite", async () => {
    const cases = conformanceCases({ name: "hangs", create: () => new Promise(() => {}), timeoutMs: 50 });
    const outcome = await cases.find((c) => c.id === "store.result-ok-bytes")!.run();
    expect(outcome.status).toBe("failed");
    expect(outcome.error).toBeInstanceOf(ConformanceTimeoutError);
    expect(String(outcome.error)).toContain("create()");
  });

  it("closes every adapter a case created and removes its temp dirs", async () => {
    const created: FaultyAdapter[] = [];
    const dirs: string[] = [];
    const cases = conformanceCases({
      name: "tracked",
      create: async (env) => {
        dirs.push(await env.tempDir());
        const adapter = new FaultyAdapter();
        created.push(adapter);
        return adapter;
      },
    });
    for (const id of ["store.result-ok-bytes", "lock.refcount", "keys.salt-distinct"]) {
      expect((await cases.find((c) => c.id === id)!.run()).status).toBe("passed");
    }
    expect(created.length).toBe(3);
    expect(created.every((a) => a.closed)).toBe(true);
    const { stat } = await import("node:fs/promises");
    for (const dir of dirs) await expect(stat(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a failing case still closes its adapters", async () => {
    const created: FaultyAdapter[] = [];
    const cases = conformanceCases({
      name: "broken",
      create: () => {
        const adapter = new FaultyAdapter("bitmap-word-rounded");
        created.push(adapter);
        return adapter;
      },
    });
    expect((await cases.find((c) => c.id === "lookup.bitmap-length")!.run()).status).toBe("failed");
    expect(created.length).toBe(1);
    expect(created[0]!.closed).toBe(true);
  });
});

describe("temp dir helpers", () => {
  it("createTempDir makes a private directory that remove() deletes", async () => {
    const { stat, writeFile } = await import("node:fs/promises");
    const dir = await createTempDir();
    expect((await stat(dir.path)).mode & 0o777).toBe(0o700);
    await writeFile(`${dir.path}/chunk`, "x");
    await dir.remove();
    await expect(stat(dir.path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("withTempDir removes the directory also when the callback throws", async () => {
    const { stat } = await import("node:fs/promises");
    let seen = "";
    await expect(
      withTempDir(async (path) => {
        seen = path;
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await expect(stat(seen)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("reference adapter under real operation times", () => {
  it("the reference adapter with 1 ms per operation (really in flight) passes every case, default chunk sizes", async () => {
    const outcomes = await runConformanceCases({ name: "reference-slow", create: () => mock(1) });
    expect(
      outcomes.filter((o) => o.status !== "passed").map((o) => `${o.id}: ${String(o.error ?? o.reason)}`),
    ).toEqual([]);
  });
});
