import { gbPerSecond } from "./stats.js";

/**
 * One timed pass of copying `count` chunks into already-allocated (reused) target buffers: the most an
 * in-memory adapter could do per byte.
 */
export function measureMemcpy(sources: readonly Buffer[], targets: readonly Buffer[], count: number): number {
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length]!;
    source.copy(targets[i % targets.length]!, 0);
    bytes += source.length;
  }
  return gbPerSecond(bytes, (performance.now() - started) / 1000);
}
