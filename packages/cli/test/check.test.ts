import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, runCli, type TestApp } from "./run-cli.js";

const LMCACHE_MOCK =
  '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10,"eviction":{"eviction_policy":"LRU"}}';

describe("x-l2 check", () => {
  it("prints the normalized config of an LMCache-style --l2-adapter string and exits 0", async () => {
    const run = await runCli(["check", "--l2-adapter", LMCACHE_MOCK]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      {
        type: "mock",
        max_size_gb: 1,
        mock_bandwidth_gb: 10,
        persist_enabled: true,
        shared: false,
        eviction: { eviction_policy: "LRU", trigger_watermark: 0.8, eviction_ratio: 0.2 },
      },
    ]);
  });

  it("keeps the order of repeated --l2-adapter options (their priority)", async () => {
    const run = await runCli([
      "check",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":2,"mock_bandwidth_gb":1}',
      "--l2-adapter",
      '{"type":"mock","max_size_gb":0.5,"mock_bandwidth_gb":3,"persist_enabled":false}',
    ]);
    expect(run.code).toBe(0);
    const configs = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(configs.map((c) => c.max_size_gb)).toEqual([2, 0.5]);
    expect(configs[1]!.persist_enabled).toBe(false);
  });

  it("invalid JSON: positional CONFIG_INVALID error on stderr, exit 2, nothing on stdout", async () => {
    const run = await runCli(["check", "--l2-adapter", '{"type":"mock",', "--l2-adapter", "{}"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error \[CONFIG_INVALID\]: --l2-adapter #1: invalid JSON/);
    expect(run.stderr).toContain("hint: pass a JSON object");
  });

  it("a JSON value that is not an object is rejected with its position", async () => {
    const run = await runCli([
      "check",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":1}',
      "--l2-adapter",
      "[1,2]",
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error [CONFIG_INVALID]: --l2-adapter #2: expected a JSON object");
  });

  it("a config without type names the missing field", async () => {
    const run = await runCli(["check", "--l2-adapter", '{"max_size_gb":1}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--l2-adapter #1: missing "type" field');
  });

  it("an unknown type lists the known ones (ADAPTER_UNKNOWN)", async () => {
    const run = await runCli(["check", "--l2-adapter", '{"type":"nosuch"}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /error \[ADAPTER_UNKNOWN\]: --l2-adapter #1: unknown adapter type "nosuch"; known types: .*mock/,
    );
  });

  it("a field error names the field and position and prints the type's help", async () => {
    const run = await runCli([
      "check",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":1}',
      "--l2-adapter",
      '{"type":"mock","max_size_gb":-3,"mock_bandwidth_gb":1}',
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('error [CONFIG_INVALID]: --l2-adapter #2 (mock): field "max_size_gb"');
    expect(run.stderr).toContain('L2 adapter type "mock"');
    expect(run.stderr).toContain("- mock_bandwidth_gb (number, required)");
  });

  it("a misspelled key is an error too, with the help", async () => {
    const run = await runCli([
      "check",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":1,"mock_bandwith_gb":1}',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("mock_bandwith_gb");
    expect(run.stderr).toContain("Fields:");
  });

  it("an eviction block with a bad policy is rejected", async () => {
    const run = await runCli([
      "check",
      "--l2-adapter",
      '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":1,"eviction":{"eviction_policy":"MRU"}}',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("eviction");
    expect(run.stderr).toContain("CONFIG_INVALID");
  });

  it("check without --l2-adapter is a usage error", async () => {
    const run = await runCli(["check"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("needs at least one --l2-adapter");
  });
});

describe("x-l2 command line", () => {
  it("an unknown command exits 2 with commander's message", async () => {
    const run = await runCli(["benchmark"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'benchmark'");
    expect(run.stderr).toContain("bench");
  });

  it("an unknown option exits 2", async () => {
    const run = await runCli(["types", "--jsn"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--jsn'");
  });

  it("invalid numbers and sizes are usage errors naming the option", async () => {
    const keys = await runCli(["bench", "--num-keys", "0"]);
    expect(keys.code).toBe(2);
    expect(keys.stderr).toContain("--num-keys must be a whole number >= 1");
    const size = await runCli(["bench", "--chunk-size", "12 parsecs"]);
    expect(size.code).toBe(2);
    expect(size.stderr).toContain("cannot read");
    const rate = await runCli(["bench", "--lookup-max-hit-rate", "1.5"]);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain("from 0 to 1");
  });

  it("--help and --version exit 0", async () => {
    const help = await runCli(["bench", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--lookup-max-hit-rate");
    expect(help.stdout).toContain('{"type":"mock","max_size_gb":4,"mock_bandwidth_gb":100}');
    const version = await runCli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("no command prints the help on stderr and exits 2", async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Usage: x-l2");
  });
});

describe("x-l2 check meets what a server would", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ withMock: true, withAdapters: true, withFs: true });
  });
  afterAll(() => app.remove());

  const plugin = (extra: Record<string, unknown>) =>
    JSON.stringify({ type: "plugin", module_path: "./tiny-plugin.mjs", class_name: "TinyAdapter", ...extra });

  it("a plugin whose module is not installed: exit 2 naming the module", async () => {
    const run = await runCli(
      [
        "check",
        "--l2-adapter",
        JSON.stringify({ type: "plugin", module_path: "no-such-plugin", class_name: "X" }),
      ],
      { cwd: app.dir },
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^error \[PLUGIN_MODULE_NOT_FOUND\]: --l2-adapter #1 \(plugin\): .*"no-such-plugin"/,
    );
    expect(run.stderr).toContain("hint: npm install no-such-plugin");
  });

  it("a plugin module without the named export: exit 2 naming the export and the module", async () => {
    const run = await runCli(
      ["--allow-module-paths", "check", "--l2-adapter", plugin({ class_name: "TinyAdaptr" })],
      { cwd: app.dir },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error [PLUGIN_EXPORT_NOT_FOUND]");
    expect(run.stderr).toContain(
      'module "./tiny-plugin.mjs" has no export "TinyAdaptr"; did you mean "TinyAdapter"?',
    );
  });

  it("a plugin that resolves passes without being created; the shared keys next to adapter_params are kept", async () => {
    const run = await runCli(
      [
        "--allow-module-paths",
        "check",
        "--l2-adapter",
        plugin({
          adapter_params: { max_size_gb: 1, mock_bandwidth_gb: 10 },
          eviction: { eviction_policy: "LRU" },
        }),
      ],
      { cwd: app.dir },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)[0]).toMatchObject({
      type: "plugin",
      eviction: { eviction_policy: "LRU" },
      adapter_params: { max_size_gb: 1 },
    });
  });

  it("--create creates each adapter, prints its status() and closes it", async () => {
    const base = await mkdtemp(join(tmpdir(), "x-l2-check-"));
    try {
      const run = await runCli(
        [
          "check",
          "--create",
          "--l2-adapter",
          '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}',
          "--l2-adapter",
          JSON.stringify({ type: "fs", base_path: join(base, "cache") }),
        ],
        { cwd: app.dir },
      );
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const results = JSON.parse(run.stdout) as {
        config: { type: string };
        status: Record<string, unknown>;
      }[];
      expect(results.map((r) => r.config.type)).toEqual(["mock", "fs"]);
      expect(results.map((r) => r.status.type)).toEqual(["mock", "fs"]);
      expect(results.every((r) => r.status.healthy === true)).toBe(true);
      // Created for real: the fs adapter made its directory.
      expect((await stat(join(base, "cache"))).isDirectory()).toBe(true);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it("--create with an fs base_path that cannot be created: exit 2 naming the path", async () => {
    const base = await mkdtemp(join(tmpdir(), "x-l2-check-"));
    try {
      await writeFile(join(base, "a-file"), "not a directory");
      const path = join(base, "a-file", "cache");
      const run = await runCli(
        ["check", "--create", "--l2-adapter", JSON.stringify({ type: "fs", base_path: path })],
        {
          cwd: app.dir,
        },
      );
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^error \[[A-Z_]+\]: --l2-adapter #1 \(fs\): /);
      expect(run.stderr).toContain(path);
      // Without --create the same config only parses, so it passes.
      const parsed = await runCli(
        ["check", "--l2-adapter", JSON.stringify({ type: "fs", base_path: path })],
        {
          cwd: app.dir,
        },
      );
      expect(parsed.code).toBe(0);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
