import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, runCli, type TestApp } from "./run-cli.js";

let withFs: TestApp;
let bare: TestApp;
let scratch: string;

beforeAll(async () => {
  withFs = await createTestApp({ withMock: true, withAdapters: false, withFs: true });
  bare = await createTestApp({ withMock: false, withAdapters: false });
  scratch = await mkdtemp(join(tmpdir(), "x-l2-cli-tiered-"));
});
afterAll(async () => {
  await withFs.remove();
  await bare.remove();
  await rm(scratch, { recursive: true, force: true });
});

// 30 requests of 9 chunks x 64 KiB: about 13 MiB of distinct chunks at most.
const SMALL = ["--requests", "30", "--chunk-size", "64KiB"];
const MOCK = '{"type":"mock","max_size_gb":0.5,"mock_bandwidth_gb":100}';

interface TieredReport {
  mode: string;
  source: string;
  fallback_reason: string | null;
  options: Record<string, number | string | null>;
  requests: number;
  chunks_requested: number;
  reuse_rate: number;
  l1_hit_rate: number;
  adapters: Array<{
    id: number;
    type: string;
    config: Record<string, unknown>;
    hit_rate: number;
    hits: number;
    bytes_stored: number;
    bytes_loaded: number;
  }>;
  prefetch_ms: { p50: number; p99: number; max: number };
  bytes_moved: { stored: number; loaded: number };
  bytes_computed: number;
  put_rejected: number;
  deadline_hits: number;
  wrong_chunks: number;
  elapsed_ms: number;
  ok: boolean;
}

/** Every count non-negative, every rate a fraction, and the totals consistent with the parts. */
function expectSane(report: TieredReport, requests: number): void {
  expect(report.mode).toBe("tiered");
  expect(report.requests).toBe(requests);
  expect(report.chunks_requested).toBe(requests * 9);
  for (const rate of [report.reuse_rate, report.l1_hit_rate, ...report.adapters.map((a) => a.hit_rate)]) {
    expect(rate).toBeGreaterThanOrEqual(0);
    expect(rate).toBeLessThanOrEqual(1);
  }
  const counts = [
    report.bytes_computed,
    report.put_rejected,
    report.deadline_hits,
    report.wrong_chunks,
    report.elapsed_ms,
    report.bytes_moved.stored,
    report.bytes_moved.loaded,
    ...report.adapters.flatMap((a) => [a.hits, a.bytes_stored, a.bytes_loaded]),
  ];
  for (const count of counts) expect(count).toBeGreaterThanOrEqual(0);
  expect(report.prefetch_ms.p50).toBeLessThanOrEqual(report.prefetch_ms.p99);
  expect(report.prefetch_ms.p99).toBeLessThanOrEqual(report.prefetch_ms.max);
  expect(report.bytes_moved.stored).toBe(report.adapters.reduce((s, a) => s + a.bytes_stored, 0));
  expect(report.bytes_moved.loaded).toBe(report.adapters.reduce((s, a) => s + a.bytes_loaded, 0));
  // What was not reused was recomputed, chunk for chunk.
  expect(report.bytes_computed).toBe(Math.round((1 - report.reuse_rate) * report.chunks_requested) * 65536);
  expect(report.wrong_chunks).toBe(0);
  expect(report.ok).toBe(true);
}

describe("x-l2 bench --tiered", () => {
  it("embedded default (fs in ./.x-l2/cache): a second process finds the first one's chunks in L2", async () => {
    // L1 holds the whole working set, so the first run never needs L2; only a persisted fs can serve
    // the second run, whose L1 starts empty.
    const args = ["bench", "--tiered", ...SMALL, "--l1-size", "32MiB", "--json"];
    const first = await runCli(args, { cwd: withFs.dir });
    expect(first.code, first.stderr).toBe(0);
    const cold = JSON.parse(first.stdout) as TieredReport;
    expectSane(cold, 30);
    expect(cold.source).toBe("default");
    expect(cold.fallback_reason).toBeNull();
    expect(cold.adapters.map((a) => [a.type, a.config.base_path])).toEqual([["fs", "./.x-l2/cache"]]);
    expect(cold.adapters[0]!.hits).toBe(0);
    // Every stored chunk was computed; two requests computing the same prefix at once store it once.
    expect(cold.adapters[0]!.bytes_stored).toBeGreaterThan(0);
    expect(cold.adapters[0]!.bytes_stored).toBeLessThanOrEqual(cold.bytes_computed);
    expect((await readdir(join(withFs.dir, ".x-l2", "cache"))).length).toBeGreaterThan(0);

    const second = await runCli(args, { cwd: withFs.dir });
    expect(second.code, second.stderr).toBe(0);
    const warm = JSON.parse(second.stdout) as TieredReport;
    expectSane(warm, 30);
    expect(warm.adapters[0]!.hits).toBeGreaterThan(0);
    expect(warm.adapters[0]!.bytes_loaded).toBe(warm.adapters[0]!.hits * 65536);
    expect(warm.bytes_computed).toBeLessThan(cold.bytes_computed);
    expect(warm.reuse_rate).toBeGreaterThan(cold.reuse_rate);
  });

  it("fs in a temp dir with an L1 smaller than the working set: text report", async () => {
    const fs = JSON.stringify({ type: "fs", base_path: join(scratch, "small-l1") });
    const run = await runCli(
      [
        "bench",
        "--tiered",
        ...SMALL,
        "--l1-size",
        "1MiB",
        "--l2-adapter",
        fs,
        "--prefetch-timeout-ms",
        "5000",
      ],
      { cwd: withFs.dir },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^L1 1 MiB \+ L2 #\d+ fs .*store policy default, prefetch deadline 5000 ms$/m);
    expect(run.stdout).toMatch(/^30 requests, each one of 24 shared prefixes/m);
    expect(run.stdout).toMatch(/^L1 hit rate\s+\d+\.\d%$/m);
    expect(run.stdout).toMatch(/^#\d+\s+fs\s+\d+\.\d%\s+\d+\s+[\d.]+ MiB\s+[\d.]+ MiB$/m);
    expect(run.stdout).toMatch(/^prefetch latency\s+p50 [\d.]+ ms {2}p99 [\d.]+ ms/m);
    expect(run.stdout).toMatch(/^verification: every chunk read from L1 matched its bytes$/m);
    expect(run.stderr).toMatch(/^x-l2 bench --tiered: running$/m);
  });

  it("two mock adapters, striped: one row per adapter, in --l2-adapter order", async () => {
    const run = await runCli(
      [
        "bench",
        "--tiered",
        ...SMALL,
        "--l1-size",
        "1MiB",
        "--store-policy",
        "striped",
        "--l2-adapter",
        MOCK,
        "--l2-adapter",
        MOCK.replace("0.5", "0.25"),
        "--json",
      ],
      { cwd: withFs.dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as TieredReport;
    expectSane(report, 30);
    expect(report.source).toBe("argument");
    expect(report.options.store_policy).toBe("striped");
    expect(report.adapters.map((a) => [a.type, a.config.max_size_gb])).toEqual([
      ["mock", 0.5],
      ["mock", 0.25],
    ]);
    // Striping sends each key to exactly one adapter: both got a share, together every stored byte.
    for (const a of report.adapters) expect(a.bytes_stored).toBeGreaterThan(0);
  });

  it("without fs installed the default is the CLI's mock, and the report says why", async () => {
    const run = await runCli(["bench", "--tiered", "--requests", "5", "--chunk-size", "64KiB", "--json"], {
      cwd: bare.dir,
    });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as TieredReport;
    expectSane(report, 5);
    expect(report.adapters.map((a) => a.type)).toEqual(["mock"]);
    expect(report.fallback_reason).toMatch(/^fs adapter not available/);
  });

  it.each([
    [["--store-policy", "random"], "--store-policy", /unknown policy "random"; use one of default, skip_l1/],
    [["--l1-size", "12XB"], "--l1-size", /cannot read "12XB" as a size/],
    [["--requests", "0"], "--requests", /must be a whole number >= 1/],
    [["--prefetch-timeout-ms", "soon"], "--prefetch-timeout-ms", /must be a whole number >= 1/],
    [["--l1-size", "64KiB", "--chunk-size", "1MiB"], "--l1-size", /cannot hold one 1 MiB chunk/],
    [["--num-keys", "4"], "--num-keys", /does not apply to bench --tiered/],
    [["--baseline"], "--baseline", /does not apply to bench --tiered/],
    [["--l2-adapter", '{"type":"mock","max_size_gb":-1}'], "max_size_gb", /CONFIG_INVALID/],
  ])("%j exits 2 naming %s, nothing run", async (flags, field, message) => {
    const run = await runCli(["bench", "--tiered", ...flags], { cwd: withFs.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(field);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("a --tiered flag without --tiered exits 2 and says to add it", async () => {
    const run = await runCli(["bench", "--requests", "5"], { cwd: withFs.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--requests applies only to bench --tiered; add --tiered or drop it/);
    expect(run.stdout).toBe("");
  });
});
