import { CaseContext } from "./case-context.js";
import { chunkCases } from "./cases/chunk-cases.js";
import { closeCases } from "./cases/close-cases.js";
import { concurrencyCases } from "./cases/concurrency-cases.js";
import { deleteCases } from "./cases/delete-cases.js";
import { keyCases } from "./cases/key-cases.js";
import { listCases } from "./cases/list-cases.js";
import { listenerCases } from "./cases/listener-cases.js";
import { loadCases } from "./cases/load-cases.js";
import { lockCases } from "./cases/lock-cases.js";
import { lookupCases } from "./cases/lookup-cases.js";
import { shapeCases } from "./cases/shape-cases.js";
import { storeCases } from "./cases/store-cases.js";
import { usageCases } from "./cases/usage-cases.js";
import { bindCase, type CaseDefinition, type CaseOutcome, type ConformanceCase } from "./conformance-case.js";
import { type L2AdapterConformanceOptions, resolveConformanceOptions } from "./options.js";

/** Every adapter rule, in the order the suite runs them. */
export const CASE_DEFINITIONS: readonly CaseDefinition[] = Object.freeze([
  ...shapeCases,
  ...storeCases,
  ...lookupCases,
  ...lockCases,
  ...loadCases,
  ...deleteCases,
  ...usageCases,
  ...listenerCases,
  ...listCases,
  ...concurrencyCases,
  ...chunkCases,
  ...keyCases,
  ...closeCases,
]);

/** The ids of every adapter conformance case (for `skip`, docs and tooling). */
export const CONFORMANCE_CASE_IDS: readonly string[] = Object.freeze(CASE_DEFINITIONS.map((c) => c.id));

/**
 * The suite as data: one entry per rule, each able to run itself against fresh adapters from
 * `options.create`. `describeL2AdapterConformance` registers these with vitest; tools and the kit's own
 * self-test run them directly.
 */
export function conformanceCases(options: L2AdapterConformanceOptions): ConformanceCase[] {
  const resolved = resolveConformanceOptions(options, CONFORMANCE_CASE_IDS);
  return CASE_DEFINITIONS.map((definition) =>
    bindCase(definition, resolved, (id) => new CaseContext(id, resolved)),
  );
}

/** Runs every case (one after the other, as vitest would) and returns the outcomes in order. */
export async function runConformanceCases(options: L2AdapterConformanceOptions): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = [];
  for (const c of conformanceCases(options)) outcomes.push(await c.run());
  return outcomes;
}
