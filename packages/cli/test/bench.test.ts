import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, createTestApp, runCli, type TestApp } from "./run-cli.js";

let app: TestApp;
let bare: TestApp;

beforeAll(async () => {
  app = await createTestApp({ withMock: true, withAdapters: true });
  bare = await createTestApp({ withMock: false, withAdapters: false });
});
afterAll(async () => {
  await app.remove();
  await bare.remove();
});

// 24 keys in batches of 5 = 4 full batches and one of 4; 2 rounds.
const SMALL = [
  "--num-keys",
  "24",
  "--chunk-size",
  "64KiB",
  "--batch",
  "5",
  "--in-flight",
  "3",
  "--rounds",
  "2",
];
const LMCACHE_MOCK =
  '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10,"eviction":{"eviction_policy":"LRU"}}';

interface Report {
  adapter: { type: string; config: Record<string, unknown>; source: string; fallback_reason: string | null };
  options: Record<string, unknown>;
  operations: Record<
    string,
    { calls: number; keys: number; bytes: number; gb_per_s: number | null; p50_ms: number; p99_ms: number }
  >;
  lookup: { keys_asked: number; hits_expected: number; hits: number };
  problems: Record<string, number>;
  verification: {
    enabled: boolean;
    checked_keys: number;
    bytes_verified: number;
    mismatched_keys: number;
    missed_keys: number;
    ok: boolean;
  };
  baseline: null | {
    medium: string;
    medium_declared: boolean;
    rounds: number;
    flushed_before_writes: boolean;
    file_dir: string | null;
    store: Comparison;
    load: Comparison;
  };
  ok: boolean;
}

interface Comparison {
  baseline: string;
  baseline_gb_per_s: number;
  ratio: number;
  adapter_bytes_per_round: number;
  baseline_bytes_per_round: number;
}

describe("x-l2 bench", () => {
  it("an LMCache-style mock config: counts, hits and every byte verified", async () => {
    const run = await runCli([
      "bench",
      "--l2-adapter",
      LMCACHE_MOCK,
      ...SMALL,
      "--lookup-max-hit-rate",
      "0.4",
      "--json",
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.adapter).toMatchObject({ type: "mock", source: "argument", fallback_reason: null });
    expect(report.adapter.config.eviction).toMatchObject({ eviction_policy: "LRU" });
    expect(report.options).toMatchObject({
      num_keys: 24,
      chunk_size: 65536,
      batch: 5,
      in_flight: 3,
      rounds: 2,
    });
    for (const op of ["store", "lookup", "load", "delete"]) {
      expect(report.operations[op]).toMatchObject({ calls: 10, keys: 48 });
      expect(report.operations[op]!.p99_ms).toBeGreaterThanOrEqual(report.operations[op]!.p50_ms);
    }
    expect(report.operations.store!.bytes).toBe(48 * 65536);
    expect(report.operations.load!.bytes).toBe(48 * 65536);
    expect(report.operations.store!.gb_per_s).toBeGreaterThan(0);
    expect(report.operations.lookup!.gb_per_s).toBeNull();
    // floor(5 * 0.4) = 2 hits in each of 4 full batches, floor(4 * 0.4) = 1 in the last: 9 per round.
    expect(report.lookup).toEqual({ keys_asked: 48, hits_expected: 18, hits: 18 });
    expect(report.verification).toEqual({
      enabled: true,
      checked_keys: 48,
      bytes_verified: 48 * 65536,
      mismatched_keys: 0,
      missed_keys: 0,
      ok: true,
    });
    expect(Object.values(report.problems).every((count) => count === 0)).toBe(true);
    expect(report.baseline).toBeNull();
  });

  it("--no-verify skips the byte check but still counts loads", async () => {
    const run = await runCli([
      "bench",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}',
      ...SMALL,
      "--no-verify",
      "--json",
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.verification).toMatchObject({
      enabled: false,
      checked_keys: 0,
      bytes_verified: 0,
      ok: true,
    });
    expect(report.operations.load!.bytes).toBe(48 * 65536);
  });

  it("a corrupting adapter fails verification: every key reported, exit 1", async () => {
    const run = await runCli(
      [
        "bench",
        "--l2-adapter",
        '{"type":"corrupt","max_size_gb":1,"mock_bandwidth_gb":10}',
        ...SMALL,
        "--json",
      ],
      { cwd: app.dir },
    );
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.adapter.type).toBe("corrupt");
    expect(report.ok).toBe(false);
    expect(report.verification).toMatchObject({
      ok: false,
      checked_keys: 48,
      mismatched_keys: 48,
      bytes_verified: 0,
    });
  });

  it("the text report says FAILED for the corrupting adapter", async () => {
    const run = await runCli(
      ["bench", "--l2-adapter", '{"type":"corrupt","max_size_gb":1,"mock_bandwidth_gb":10}', ...SMALL],
      { cwd: app.dir },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("verification: FAILED");
    expect(run.stdout).toContain("48 corrupted");
    expect(run.stdout).toMatch(/result: FAILED\n$/);
  });

  it("a store that does not fit (mock full) fails the run", async () => {
    // 24 x 64 KiB = 1.5 MiB does not fit in 1 MiB.
    const run = await runCli(
      [
        "bench",
        "--l2-adapter",
        `{"type":"mock","max_size_gb":${1 / 1024},"mock_bandwidth_gb":10}`,
        ...SMALL,
        "--json",
      ],
      {},
    );
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.problems.failed_stores).toBeGreaterThan(0);
    expect(report.verification.missed_keys).toBeGreaterThan(0);
  });

  it("without --l2-adapter and without the fs adapter it falls back to the mock and says why", async () => {
    const run = await runCli(["bench", ...SMALL, "--json"], { cwd: bare.dir });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.adapter).toMatchObject({ type: "mock", source: "default" });
    expect(report.adapter.config).toMatchObject({ max_size_gb: 4, mock_bandwidth_gb: 100 });
    expect(report.adapter.fallback_reason).toContain('ADAPTER_UNKNOWN: unknown adapter type "fs"');
    expect(report.verification.ok).toBe(true);
  });

  it("without --l2-adapter and with @x/l2-fs installed it uses the fs adapter in ./.x-l2/cache", async () => {
    const withFs = await createTestApp({ withMock: false, withAdapters: false, withFs: true });
    try {
      const run = await runCli(["bench", ...SMALL, "--baseline", "--json"], { cwd: withFs.dir });
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.adapter).toMatchObject({ type: "fs", source: "default", fallback_reason: null });
      expect(report.adapter.config.base_path).toBe("./.x-l2/cache");
      expect(report.verification).toMatchObject({ ok: true, checked_keys: 48 });
      // The file baseline ran beside the adapter's files and left nothing behind.
      expect(report.baseline!).toMatchObject({ medium: "file", medium_declared: true });
      expect(
        report.baseline!.file_dir!.startsWith(join(withFs.dir, ".x-l2", "cache", ".x-l2-baseline-")),
      ).toBe(true);
      const left = (await readdir(join(withFs.dir, ".x-l2", "cache"))).filter((n) =>
        n.startsWith(".x-l2-baseline"),
      );
      expect(left).toEqual([]);
    } finally {
      await withFs.remove();
    }
  });

  it("Ctrl-C stops the run, deletes the round's keys, closes the adapter and exits 130", async () => {
    const withFs = await createTestApp({ withMock: false, withAdapters: false, withFs: true });
    let child: ReturnType<typeof spawn> | undefined;
    try {
      child = spawn(
        process.execPath,
        [BIN, "bench", "--num-keys", "64", "--chunk-size", "64KiB", "--rounds", "100000"],
        { cwd: withFs.dir, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr!.setEncoding("utf8");
      const started = new Promise<void>((resolve) => {
        child!.stderr!.on("data", (chunk: string) => {
          stderr += chunk;
          if (stderr.includes("x-l2 bench: running")) resolve();
        });
      });
      const exited = once(child, "exit");
      await started;
      // Let a few rounds run so the interrupt lands in the middle of one.
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill("SIGINT");
      const [code] = (await exited) as [number | null];
      expect(code).toBe(130);
      expect(stderr).toContain("interrupted; this round's keys were deleted and the adapter closed");
      const files = await readdir(join(withFs.dir, ".x-l2", "cache"), {
        recursive: true,
        withFileTypes: true,
      });
      expect(files.filter((entry) => entry.isFile()).map((entry) => entry.name)).toEqual([]);
    } finally {
      // A failed expectation must not leave a 100000-round bench running.
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await withFs.remove();
    }
  });

  it("the text report names the adapter, the fallback and the summary table", async () => {
    const run = await runCli(["bench", ...SMALL], { cwd: bare.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("(embedded default)");
    expect(run.stdout).toContain("using the mock adapter: fs adapter not available");
    // The adapter and its config are printed once, in the report, not again on stderr.
    expect(run.stdout.match(/^adapter: mock /gm)).toHaveLength(1);
    expect(run.stderr).not.toContain("mock_bandwidth_gb");
    expect(run.stderr).not.toContain("using the mock adapter");
    expect(run.stdout).toMatch(/^op\s+calls\s+keys\s+GB\/s\s+calls\/s\s+keys\/s\s+p50 ms\s+p99 ms$/m);
    expect(run.stdout).toMatch(/^store\s+10\s+48\s/m);
    expect(run.stdout).toContain("verification: ok: 48/48 keys intact");
    // stderr is not a terminal here: no progress bar.
    expect(run.stderr).not.toContain("[");
  });

  it("--baseline runs the same bytes on the medium, interleaved, and gives the ratios (the mock declares the memory medium)", async () => {
    const run = await runCli([
      "bench",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":100}',
      "--num-keys",
      "32",
      "--chunk-size",
      "256KiB",
      "--batch",
      "4",
      "--in-flight",
      "2",
      "--rounds",
      "2",
      "--baseline",
      "--json",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const b = report.baseline!;
    expect(b).toMatchObject({ medium: "memory", medium_declared: true, rounds: 2, file_dir: null });
    for (const side of [b.store, b.load]) {
      expect(side.baseline).toBe("memcpy into reused buffer");
      expect(side.baseline_gb_per_s).toBeGreaterThan(0);
      expect(side.adapter_bytes_per_round).toBe(32 * 256 * 1024);
      expect(side.baseline_bytes_per_round).toBe(side.adapter_bytes_per_round);
    }
    expect(b.store.ratio).toBeCloseTo(report.operations.store!.gb_per_s! / b.store.baseline_gb_per_s, 6);
    expect(b.load.ratio).toBeCloseTo(report.operations.load!.gb_per_s! / b.load.baseline_gb_per_s, 6);
  });

  it("--baseline for a type declaring the file medium writes the same bytes beside its files and cleans up", async () => {
    const base = await mkdtemp(join(tmpdir(), "x-l2-cli-base-"));
    try {
      const run = await runCli(
        [
          "bench",
          "--l2-adapter",
          JSON.stringify({ type: "pathmock", base_path: base }),
          "--num-keys",
          "16",
          "--chunk-size",
          "128KiB",
          "--batch",
          "4",
          "--in-flight",
          "2",
          "--rounds",
          "3",
          "--baseline",
        ],
        { cwd: app.dir },
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^baseline: file medium, the same work as the adapter/m);
      expect(run.stdout).toMatch(/^store\s+2 MiB\s+file write tmp \+ rename\s+2 MiB\s/m);
      expect(run.stdout).toMatch(/^load\s+2 MiB\s+file read into reused buffer\s+2 MiB\s/m);
      expect(run.stdout).toContain(`file baseline directory: ${join(base, ".x-l2-baseline-")}`);
      expect(await readdir(base)).toEqual([]);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it("a plugin named by file path runs only with --allow-module-paths", async () => {
    const plugin = JSON.stringify({
      type: "plugin",
      module_path: "./tiny-plugin.mjs",
      class_name: "TinyAdapter",
      adapter_params: { max_size_gb: 1, mock_bandwidth_gb: 10 },
    });
    const refused = await runCli(["bench", "--l2-adapter", plugin, ...SMALL, "--json"], { cwd: app.dir });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("error [PLUGIN_MODULE_NOT_ALLOWED]");
    const allowed = await runCli(
      ["--allow-module-paths", "bench", "--l2-adapter", plugin, ...SMALL, "--json"],
      {
        cwd: app.dir,
      },
    );
    expect(allowed.code).toBe(0);
    const report = JSON.parse(allowed.stdout) as Report;
    expect(report.adapter.type).toBe("plugin");
    expect(report.verification).toMatchObject({ ok: true, checked_keys: 48 });
  });

  it("config errors exit 2 with the help; two adapters are refused", async () => {
    const bad = await runCli([
      "bench",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":"big","mock_bandwidth_gb":1}',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('field "max_size_gb"');
    expect(bad.stderr).toContain("Fields:");
    const json = await runCli(["bench", "--l2-adapter", "not json"]);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain("invalid JSON");
    const two = await runCli([
      "bench",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":1}',
      "--l2-adapter",
      '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":1}',
    ]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("one adapter at a time");
  });

  it("refuses sizes whose buffers would not fit the memory limit", async () => {
    const run = await runCli(["bench", "--num-keys", "100000", "--chunk-size", "1MiB"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error [ARGUMENT_INVALID]");
    expect(run.stderr).toContain("lower --num-keys or --chunk-size");
  });
});
