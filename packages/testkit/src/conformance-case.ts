import type { AdapterCapabilities } from "@x/l2-core";
import { type CaseContext, CaseSkipped } from "./case-context.js";
import type { ResolvedConformanceOptions } from "./options.js";
import { withTimeout } from "./timeout.js";

/** How a case is written: a rule id, a one-line rule, and a body that throws when the rule is broken. */
export interface CaseDefinition {
  /** Stable id `<area>.<rule>`, used in test titles and in the `skip` option. */
  readonly id: string;
  /** The rule, as a sentence. */
  readonly rule: string;
  /** The capability the case needs; without it the case is reported as skipped. */
  readonly requires?: keyof AdapterCapabilities;
  run(ctx: CaseContext): Promise<void>;
}

export type CaseStatus = "passed" | "failed" | "skipped";

export interface CaseOutcome {
  readonly id: string;
  readonly status: CaseStatus;
  /** Why it failed. */
  readonly error?: unknown;
  /** Why it was skipped. */
  readonly reason?: string;
  readonly durationMs: number;
}

/** A case bound to one set of options: `run()` creates, exercises and closes its own adapters. */
export interface ConformanceCase {
  readonly id: string;
  readonly rule: string;
  /** Title used for the vitest test. */
  readonly title: string;
  /** Set when the `skip` option names this case. */
  readonly skipReason: string | undefined;
  /** Never rejects: the outcome says passed, failed (with the error) or skipped (with the reason). */
  run(): Promise<CaseOutcome>;
}

export function bindCase(
  definition: CaseDefinition,
  options: ResolvedConformanceOptions,
  makeContext: (id: string) => CaseContext,
): ConformanceCase {
  const skipReason = options.skip.get(definition.id);
  return {
    id: definition.id,
    rule: definition.rule,
    title:
      skipReason === undefined
        ? `${definition.id}: ${definition.rule}`
        : `skipped: ${definition.id} — ${skipReason}`,
    skipReason,
    async run() {
      const started = performance.now();
      const done = (status: CaseStatus, extra: { error?: unknown; reason?: string } = {}): CaseOutcome => ({
        id: definition.id,
        status,
        durationMs: performance.now() - started,
        ...extra,
      });
      if (skipReason !== undefined) return done("skipped", { reason: skipReason });
      const ctx = makeContext(definition.id);
      let failure: unknown;
      let skipped: string | undefined;
      try {
        if (definition.requires !== undefined) {
          const declared = options.capabilities?.[definition.requires];
          if (declared === false) {
            skipped = `adapter declares capabilities.${definition.requires} = false`;
          }
        }
        if (skipped === undefined) {
          await withTimeout(
            requireCapability(definition, ctx).then(() => definition.run(ctx)),
            options.caseTimeoutMs,
            `case ${definition.id}`,
          );
        }
      } catch (error) {
        if (error instanceof CaseSkipped) skipped = error.reason;
        else failure = error;
      }
      const cleanupProblem = await ctx.cleanup();
      if (failure !== undefined) return done("failed", { error: failure });
      if (cleanupProblem !== undefined) return done("failed", { error: cleanupProblem });
      if (skipped !== undefined) return done("skipped", { reason: skipped });
      return done("passed");
    },
  };
}

/** Capability cases without a declaration ask a fresh adapter what it supports. */
async function requireCapability(definition: CaseDefinition, ctx: CaseContext): Promise<void> {
  const capability = definition.requires;
  if (capability === undefined || ctx.options.capabilities?.[capability] === true) return;
  const probe = await ctx.adapter();
  if (probe.capabilities?.[capability] !== true) {
    ctx.skip(`adapter reports capabilities.${capability} = ${String(probe.capabilities?.[capability])}`);
  }
}
