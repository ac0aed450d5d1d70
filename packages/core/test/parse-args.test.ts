import { describe, expect, it } from "vitest";
import {
  createL2AdapterRegistry,
  defineL2AdapterConfig,
  defineL2AdapterType,
  describeL2AdapterType,
  getL2AdapterType,
  isL2Error,
  type L2Error,
  type L2ErrorCode,
  listL2AdapterTypes,
  parseL2AdapterArgs,
  parseL2AdapterConfig,
  silentLogger,
  z,
} from "../src/index.js";

class DiskConfig extends defineL2AdapterConfig(
  "disk",
  z.object({ base_path: z.string().min(1).describe("where the files go") }),
  { summary: "disk-like test type", example: { base_path: "/tmp/x" } },
) {}
class RamConfig extends defineL2AdapterConfig(
  "ram",
  z.object({ max_size_gb: z.number().positive().describe("capacity in GiB") }),
  { summary: "ram-like test type", example: { max_size_gb: 1 } },
) {}

const registry = createL2AdapterRegistry({
  discover: false,
  logger: silentLogger,
  types: [
    defineL2AdapterType({ configClass: DiskConfig, create: () => ({}) as never }),
    defineL2AdapterType({ configClass: RamConfig, create: () => ({}) as never }),
  ],
});

async function argsError(args: unknown[], code: L2ErrorCode = "CONFIG_INVALID"): Promise<L2Error> {
  try {
    await registry.parseArgs(args as string[]);
  } catch (error) {
    expect(isL2Error(error, code), String(error)).toBe(true);
    return error as L2Error;
  }
  throw new Error("expected parseArgs to reject");
}

const disk = (path: string) => JSON.stringify({ type: "disk", base_path: path });
const ram = JSON.stringify({ type: "ram", max_size_gb: 2 });

describe("parseL2AdapterArgs", () => {
  it("keeps the order (the adapter priority) and allows the same type twice", async () => {
    const configs = await registry.parseArgs([disk("/a"), ram, disk("/b")]);
    expect(configs.map((c) => c.type)).toEqual(["disk", "ram", "disk"]);
    expect(configs.map((c) => (c as unknown as { basePath?: string }).basePath)).toEqual([
      "/a",
      undefined,
      "/b",
    ]);
    expect(configs[1]).toBeInstanceOf(RamConfig);
  });

  it("an empty list is no adapters", async () => {
    expect(await registry.parseArgs([])).toEqual([]);
  });

  it("invalid JSON names its 1-based position and shows an example", async () => {
    const error = await argsError([ram, "{type: disk}"]);
    expect(error.position).toBe(2);
    expect(error.message).toMatch(/^--l2-adapter #2: invalid JSON/);
    expect(error.hint).toContain("--l2-adapter '{");
  });

  it.each([
    ["an array", "[1,2]"],
    ["a string", '"disk"'],
    ["null", "null"],
    ["a number", "3"],
  ])("not an object (%s) names its position", async (_name, arg) => {
    const error = await argsError([ram, ram, arg]);
    expect(error.position).toBe(3);
    expect(error.message).toMatch(/^--l2-adapter #3: expected a JSON object/);
  });

  it.each([
    ["missing", { base_path: "/x" }],
    ["empty", { type: "" }],
    ["not a string", { type: 5 }],
  ])("type %s names its position and the field", async (_name, dict) => {
    const error = await argsError([JSON.stringify(dict)]);
    expect(error.position).toBe(1);
    expect(error.field).toBe("type");
    expect(error.message).toMatch(/^--l2-adapter #1: missing "type"/);
  });

  it("an unknown type names its position and lists the known types", async () => {
    const error = await argsError([ram, JSON.stringify({ type: "s3" })], "ADAPTER_UNKNOWN");
    expect(error.position).toBe(2);
    expect(error.adapterType).toBe("s3");
    expect(error.message).toContain("--l2-adapter #2");
    expect(error.message).toContain("known types: disk, plugin, ram");
  });

  it("a field error names position, type and field, with that type's help attached", async () => {
    const error = await argsError([disk("/a"), JSON.stringify({ type: "ram", max_size_gb: -1 })]);
    expect(error.position).toBe(2);
    expect(error.adapterType).toBe("ram");
    expect(error.field).toBe("max_size_gb");
    expect(error.message).toMatch(/^--l2-adapter #2 \(ram\): field "max_size_gb"/);
    expect(error.help).toBe(RamConfig.help());
    expect(error.help).toContain("- max_size_gb (number, required): capacity in GiB");
  });

  it("an unknown key names position and the closest valid key, with help", async () => {
    const error = await argsError([JSON.stringify({ type: "disk", basepath: "/x" })]);
    expect(error.position).toBe(1);
    expect(error.message).toContain('did you mean "base_path"');
    expect(error.help).toBe(DiskConfig.help());
  });

  it("a shared-key error is reported the same way", async () => {
    const error = await argsError([
      disk("/a"),
      JSON.stringify({ type: "disk", base_path: "/b", eviction: { eviction_policy: "FIFO" } }),
    ]);
    expect(error.position).toBe(2);
    expect(error.field).toBe("eviction.eviction_policy");
    expect(error.help).toContain("Shared fields (every type):");
  });

  it("the first bad option is reported, whatever follows", async () => {
    const error = await argsError([disk("/a"), "nope", "[]"]);
    expect(error.position).toBe(2);
  });

  it("non-string entries and a non-array are typed errors", async () => {
    expect((await argsError([ram, 42])).position).toBe(2);
    await expect(registry.parseArgs("x" as never)).rejects.toMatchObject({ code: "ARGUMENT_INVALID" });
  });

  it("describe returns the help text; parseConfig takes an already decoded dict", async () => {
    expect(await registry.describe("disk")).toBe(DiskConfig.help());
    const config = await registry.parseConfig({ type: "disk", base_path: "/z" });
    expect(config.toDict()).toEqual({ type: "disk", base_path: "/z", persist_enabled: true, shared: false });
  });
});

describe("the process-wide registry functions", () => {
  it("list, describe, get and parse through the default registry (plugin is always there)", async () => {
    expect((await listL2AdapterTypes()).map((t) => t.type)).toContain("plugin");
    expect(await describeL2AdapterType("plugin")).toContain("- module_path (string, required)");
    expect((await getL2AdapterType("plugin")).type).toBe("plugin");
    expect(await parseL2AdapterArgs([])).toEqual([]);
    await expect(parseL2AdapterConfig({ type: "plugin" })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      field: "module_path",
    });
    await expect(parseL2AdapterArgs(["{}"])).rejects.toMatchObject({ code: "CONFIG_INVALID", position: 1 });
  });
});
