import { randomInt } from "node:crypto";
import type { L2Adapter, ObjectKey } from "@x/l2-core";
import { benchKey } from "./bench-keys.js";
import type { BenchOptions } from "./bench-options.js";
import { type BenchOperation, OpStats, type OpSummary } from "./op-stats.js";
import { createPatternScratch, fillPattern, patternSeed, verifyPattern } from "./pattern.js";
import { runPool } from "./stats.js";

export interface BenchProblems {
  /** Store tasks that reported ok=false (or rejected). */
  failed_stores: number;
  /** Store tasks whose bytesWritten differed from the bytes of their new keys. */
  miscounted_stores: number;
  /** Lookup batches whose bitmap differed from the expected hits. */
  wrong_lookups: number;
  /** Stored keys the pre-load lookup did not find. */
  lost_keys: number;
  /** Keys whose load reported a miss. */
  load_misses: number;
}

export interface VerificationResult {
  enabled: boolean;
  checked_keys: number;
  bytes_verified: number;
  mismatched_keys: number;
  missed_keys: number;
  ok: boolean;
}

export interface AdapterBenchResult {
  operations: Record<BenchOperation, OpSummary>;
  lookup: { keys_asked: number; hits_expected: number; hits: number };
  problems: BenchProblems;
  verification: VerificationResult;
  ok: boolean;
}

export interface AdapterBenchHooks {
  /** Total number of adapter calls the run will make, then one tick per call. */
  onStart?(totalCalls: number): void;
  onCall?(operation: BenchOperation, round: number): void;
  /** Aborting stops the run after the calls already pending; the round's keys are then deleted. */
  signal?: AbortSignal;
  /** Untimed work before a round starts and after it ends (a baseline interleaved with the rounds). */
  beforeRound?(round: number): Promise<void>;
  afterRound?(round: number): Promise<void>;
  /** Untimed, right before each store phase (e.g. writing dirty pages back). */
  beforeStore?(): void;
}

/** Thrown by runAdapterBench when its signal aborted it (after cleaning up). */
export class BenchInterruptedError extends Error {
  constructor() {
    super("the bench was interrupted; the keys of the current round were unlocked and deleted");
    this.name = "BenchInterruptedError";
  }
}

/** One source and one target buffer per key, allocated once and reused by every round and baseline. */
export interface BenchBuffers {
  sources: Buffer[];
  targets: Buffer[];
}

export function allocateBenchBuffers(numKeys: number, chunkSize: number): BenchBuffers {
  const make = () => Array.from({ length: numKeys }, () => Buffer.allocUnsafeSlow(chunkSize).fill(0));
  // fill(0) touches every page now, so first-touch page faults are not charged to round 1.
  return { sources: make(), targets: make() };
}

function batchBounds(count: number, batch: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < count; start += batch) out.push([start, Math.min(count, start + batch)]);
  return out;
}

/**
 * Rounds of store, lookup, load and delete over `numKeys` fresh keys per round, `batch` keys per call,
 * `inFlight` calls pending at once. Source and target buffers are allocated once and reused, chunk
 * contents are filled before (and verified after) each timed phase, so the phases time the adapter only.
 */
export async function runAdapterBench(
  adapter: L2Adapter,
  options: BenchOptions,
  buffers: BenchBuffers,
  hooks: AdapterBenchHooks = {},
): Promise<AdapterBenchResult> {
  const { numKeys, chunkSize, batch, inFlight, lookupMaxHitRate, rounds, verify } = options;
  const run = randomInt(1, 0x7fffffff);
  const { sources, targets } = buffers;
  const scratch = createPatternScratch();
  const batches = batchBounds(numKeys, batch);
  const stats: Record<BenchOperation, OpStats> = {
    store: new OpStats(),
    lookup: new OpStats(),
    load: new OpStats(),
    delete: new OpStats(),
  };
  const problems: BenchProblems = {
    failed_stores: 0,
    miscounted_stores: 0,
    wrong_lookups: 0,
    lost_keys: 0,
    load_misses: 0,
  };
  const verification: VerificationResult = {
    enabled: verify,
    checked_keys: 0,
    bytes_verified: 0,
    mismatched_keys: 0,
    missed_keys: 0,
    ok: true,
  };
  const lookupTotals = { keys_asked: 0, hits_expected: 0, hits: 0 };
  hooks.onStart?.(rounds * batches.length * 4);
  const interrupted = () => hooks.signal?.aborted === true;

  const phase = async (
    operation: BenchOperation,
    round: number,
    call: (start: number, end: number) => Promise<{ keys: number; bytes: number }>,
  ) => {
    const started = performance.now();
    let bytes = 0;
    let keys = 0;
    await runPool(batches.length, inFlight, async (b) => {
      if (interrupted()) return;
      const [start, end] = batches[b]!;
      const t0 = performance.now();
      const done = await call(start, end);
      stats[operation].record(performance.now() - t0, done.keys, done.bytes);
      bytes += done.bytes;
      keys += done.keys;
      hooks.onCall?.(operation, round);
    });
    if (interrupted()) throw new BenchInterruptedError();
    const seconds = (performance.now() - started) / 1000;
    stats[operation].phases.push({ seconds, bytes, calls: batches.length, keys });
  };

  for (let round = 0; round < rounds; round++) {
    // Before the round's chunks are filled: the hook may use the buffers.
    await hooks.beforeRound?.(round);
    const keys = Array.from({ length: numKeys }, (_, i) => benchKey(run, round, i, true));
    const absent = Array.from({ length: numKeys }, (_, i) => benchKey(run, round, i, false));
    const seeds = keys.map((_, i) => patternSeed(run, round, i));
    for (let i = 0; i < numKeys; i++) fillPattern(sources[i]!, seeds[i]!, scratch);
    let locked: ObjectKey[] = [];
    try {
      hooks.beforeStore?.();
      await phase("store", round, async (start, end) => {
        const expected = (end - start) * chunkSize;
        try {
          const result = await adapter.store(keys.slice(start, end), sources.slice(start, end));
          if (!result.ok) problems.failed_stores += 1;
          else if (result.bytesWritten !== expected) problems.miscounted_stores += 1;
        } catch {
          problems.failed_stores += 1;
        }
        return { keys: end - start, bytes: expected };
      });

      // Each lookup batch asks for a prefix of stored keys (at most lookupMaxHitRate of the batch) followed
      // by keys never stored: the shape of a prefix-cache lookup.
      await phase("lookup", round, async (start, end) => {
        const size = end - start;
        const hitsWanted = Math.floor(size * lookupMaxHitRate + 1e-9);
        const asked: ObjectKey[] = [];
        for (let i = 0; i < size; i++) asked.push(i < hitsWanted ? keys[start + i]! : absent[start + i]!);
        const bitmap = await adapter.lookupAndLock(asked);
        const hits = bitmap.indices();
        const exact =
          bitmap.size === size && hits.length === hitsWanted && hits.every((index, i) => index === i);
        if (!exact) problems.wrong_lookups += 1;
        adapter.unlock(bitmap.gather(asked));
        lookupTotals.keys_asked += size;
        lookupTotals.hits_expected += hitsWanted;
        lookupTotals.hits += hits.length;
        return { keys: size, bytes: 0 };
      });

      // Lock every key for the load phase (as a server does between lookup and load), untimed.
      for (const [start, end] of batches) {
        const slice = keys.slice(start, end);
        const bitmap = await adapter.lookupAndLock(slice);
        problems.lost_keys += slice.length - bitmap.popcount();
        locked.push(...bitmap.gather(slice));
      }
      const loadedBits: boolean[] = new Array(numKeys).fill(false);
      await phase("load", round, async (start, end) => {
        const bitmap = await adapter.load(keys.slice(start, end), targets.slice(start, end));
        for (const index of bitmap.indices()) loadedBits[start + index] = true;
        const hits = bitmap.popcount();
        problems.load_misses += end - start - hits;
        return { keys: end - start, bytes: hits * chunkSize };
      });
      adapter.unlock(locked);
      locked = [];

      if (verify) {
        for (let i = 0; i < numKeys; i++) {
          verification.checked_keys += 1;
          if (!loadedBits[i]) {
            verification.missed_keys += 1;
            continue;
          }
          if (verifyPattern(targets[i]!, seeds[i]!, scratch)) verification.bytes_verified += chunkSize;
          else verification.mismatched_keys += 1;
        }
      }

      await phase("delete", round, async (start, end) => {
        await adapter.delete(keys.slice(start, end));
        return { keys: end - start, bytes: 0 };
      });
    } catch (error) {
      // Interrupted or failed mid-round: leave nothing of this run locked or stored.
      adapter.unlock(locked);
      for (const [start, end] of batches) await adapter.delete(keys.slice(start, end)).catch(() => {});
      throw error;
    }
    await hooks.afterRound?.(round);
  }

  verification.ok = !verify || (verification.mismatched_keys === 0 && verification.missed_keys === 0);
  const ok =
    verification.ok &&
    problems.failed_stores === 0 &&
    problems.miscounted_stores === 0 &&
    problems.wrong_lookups === 0 &&
    problems.lost_keys === 0 &&
    problems.load_misses === 0;
  return {
    operations: {
      store: stats.store.summary(),
      lookup: stats.lookup.summary(),
      load: stats.load.summary(),
      delete: stats.delete.summary(),
    },
    lookup: lookupTotals,
    problems,
    verification,
    ok,
  };
}
