import { describe, expect, it } from "vitest";
import {
  type CaseOutcome,
  CONFORMANCE_CASE_IDS,
  conformanceCases,
  runConformanceCases,
} from "../src/index.js";
import { BROKEN_ADAPTERS } from "./support/broken-adapters.js";
import { type Fault, FaultyAdapter, type FaultyAdapterOptions } from "./support/faulty-adapter.js";

// Small chunks and short limits: these runs prove detection, not throughput.
const SMALL_CHUNKS = [1, 7, 4096, 70_000, 300_000];
const options = (fault?: Fault, adapterOptions?: FaultyAdapterOptions) => ({
  name: `faulty-memory${fault ? ` (${fault})` : ""}`,
  create: () => new FaultyAdapter(fault, adapterOptions),
  chunkSizes: SMALL_CHUNKS,
  // Short for broken adapters (a hang only has to fail its case); the default for correct ones, so a
  // loaded machine cannot turn a slow call into a false failure.
  timeoutMs: fault ? 1_000 : 10_000,
  caseTimeoutMs: 20_000,
});

function describeFailures(outcomes: readonly CaseOutcome[]): string[] {
  return outcomes
    .filter((o) => o.status !== "passed")
    .map((o) => `${o.id}: ${o.status} ${String(o.error ?? o.reason)}`);
}

describe("a correct adapter that does not use L2AdapterBase passes every case", () => {
  it("fast operations", async () => {
    const outcomes = await runConformanceCases(options());
    expect(describeFailures(outcomes)).toEqual([]);
    expect(outcomes.map((o) => o.id)).toEqual(CONFORMANCE_CASE_IDS);
  });

  it("operations that take a timer tick (really in flight when close() is called)", async () => {
    const outcomes = await runConformanceCases(options(undefined, { opDelayMs: 1 }));
    expect(describeFailures(outcomes)).toEqual([]);
  });
});

describe("each broken adapter is caught by the case that names its rule", () => {
  it("every rule has a broken adapter, and every broken adapter names a real rule", () => {
    const covered = new Set(BROKEN_ADAPTERS.map((b) => b.rule));
    expect(CONFORMANCE_CASE_IDS.filter((id) => !covered.has(id))).toEqual([]);
    expect(BROKEN_ADAPTERS.filter((b) => !CONFORMANCE_CASE_IDS.includes(b.rule))).toEqual([]);
  });

  for (const broken of BROKEN_ADAPTERS) {
    it(`${broken.rule} fails for: ${broken.bug} [${broken.fault}]`, async () => {
      const target = conformanceCases(options(broken.fault)).find((c) => c.id === broken.rule);
      expect(target, `case ${broken.rule}`).toBeDefined();
      const outcome = await target!.run();
      expect(outcome.status, `outcome of ${broken.rule} against ${broken.fault}`).toBe("failed");
      expect(outcome.error).toBeInstanceOf(Error);
    });
  }
});

describe("failures are specific", () => {
  it("each broken adapter passes most other cases (the kit pinpoints the rule instead of failing everything)", async () => {
    const rows: string[] = [];
    for (const broken of BROKEN_ADAPTERS) {
      const outcomes = await runConformanceCases(options(broken.fault));
      const failed = outcomes.filter((o) => o.status === "failed").map((o) => o.id);
      expect(failed, broken.fault).toContain(broken.rule);
      rows.push(`${broken.fault}: ${failed.length} failed (${failed.join(", ")})`);
      expect(failed.length, `${broken.fault} fails ${failed.join(", ")}`).toBeLessThanOrEqual(
        Math.ceil(CONFORMANCE_CASE_IDS.length / 2),
      );
    }
    if (process.env.X_L2_TESTKIT_MATRIX) console.log(rows.join("\n"));
  }, 60_000);
});
