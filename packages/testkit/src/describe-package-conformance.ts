import { describe, it } from "vitest";
import { type PackageConformanceOptions, packageConformanceCases } from "./package-cases.js";

/**
 * Registers the package checks with vitest: the package.json `x-l2` field, its exports, the built
 * entry and the type definition agree, so a package that would fail discovery fails its own tests.
 */
export function describeL2AdapterPackageConformance(options: PackageConformanceOptions): void {
  const cases = packageConformanceCases(options);
  describe(`L2 adapter package conformance: ${options.packageDir}`, () => {
    for (const c of cases) it(`${c.id}: ${c.rule}`, () => c.run(), 30_000);
  });
}
