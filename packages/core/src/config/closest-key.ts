import { createRequire } from "node:module";

// Needed only to word an error, so not loaded by importing core (it ships CommonJS).
let levenshtein: ((a: string, b: string) => number) | undefined;
const distance = (a: string, b: string) => {
  levenshtein ??= (
    createRequire(import.meta.url)("fastest-levenshtein") as typeof import("fastest-levenshtein")
  ).distance;
  return levenshtein(a, b);
};

/** The valid key nearest to `unknown`, if it is plausibly a typo of it. */
export function closestKey(unknown: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = unknown.toLowerCase();
  for (const candidate of valid) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  // A camelCase spelling of a snake_case key is the most common slip: maxSizeGb → max_size_gb.
  const snake = unknown.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  if (valid.includes(snake)) return snake;
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(unknown.length / 3))) return best;
  // A truncated or extended spelling is a typo too (max_size → max_size_gb), when only one key fits.
  const fits = valid.filter((candidate) => {
    const c = candidate.toLowerCase();
    return Math.min(c.length, lower.length) >= 3 && (c.startsWith(lower) || lower.startsWith(c));
  });
  return fits.length === 1 ? fits[0] : undefined;
}
