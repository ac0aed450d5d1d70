import { describe, it } from "vitest";
import { conformanceCases } from "./conformance-cases.js";
import type { L2AdapterConformanceOptions } from "./options.js";

/** Extra time vitest allows beyond the kit's own case limit, so the kit's clearer timeout error wins. */
const VITEST_GRACE_MS = 5_000;

/**
 * Registers the conformance suite for one adapter with vitest: one test per rule, titled
 * `<id>: <rule>`. Cases named in `skip` (or needing a capability the adapter lacks) are reported as
 * skipped with their reason, so they stay visible.
 */
export function describeL2AdapterConformance(options: L2AdapterConformanceOptions): void {
  const cases = conformanceCases(options);
  const caseTimeoutMs = options.caseTimeoutMs ?? 120_000;
  describe(`L2 adapter conformance: ${options.name}`, () => {
    for (const c of cases) {
      it(
        c.title,
        async (context) => {
          const outcome = await c.run();
          if (outcome.status === "failed") throw outcome.error;
          if (outcome.status === "skipped") context.skip(`${c.id} skipped: ${outcome.reason}`);
        },
        caseTimeoutMs + VITEST_GRACE_MS,
      );
    }
  });
}
