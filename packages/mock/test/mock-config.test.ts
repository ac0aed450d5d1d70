import { isL2Error, type L2Error } from "@x/l2-core";
import { describe, expect, it } from "vitest";
import { MockL2Adapter, MockL2AdapterConfig } from "../src/index.js";

function configError(dict: Record<string, unknown>): L2Error {
  try {
    MockL2AdapterConfig.fromDict(dict);
  } catch (error) {
    expect(isL2Error(error, "CONFIG_INVALID"), String(error)).toBe(true);
    return error as L2Error;
  }
  throw new Error(`expected ${JSON.stringify(dict)} to be rejected`);
}

describe("MockL2AdapterConfig", () => {
  it("parses LMCache's keys into camelCase fields", () => {
    const config = MockL2AdapterConfig.fromDict({ type: "mock", max_size_gb: 2, mock_bandwidth_gb: 0.5 });
    expect(config.maxSizeGb).toBe(2);
    expect(config.mockBandwidthGb).toBe(0.5);
    expect(config.eviction).toBeNull();
  });

  it.each(["max_size_gb", "mock_bandwidth_gb"])("%s is required", (field) => {
    const dict: Record<string, unknown> = { type: "mock", max_size_gb: 1, mock_bandwidth_gb: 1 };
    delete dict[field];
    const error = configError(dict);
    expect(error.field).toBe(field);
    expect(error.message).toContain(`field "${field}": is required`);
  });

  it.each([
    ["max_size_gb", 0],
    ["max_size_gb", -1],
    ["mock_bandwidth_gb", 0],
    ["mock_bandwidth_gb", -0.5],
  ])("%s = %s is rejected as not positive", (field, value) => {
    const error = configError({ type: "mock", max_size_gb: 1, mock_bandwidth_gb: 1, [field]: value });
    expect(error.field).toBe(field);
    expect(error.message).toContain("must be a positive number");
  });

  it.each([
    ["max_size_gb", "1"],
    ["mock_bandwidth_gb", null],
    ["mock_bandwidth_gb", true],
  ])("%s = %j is rejected as not a number", (field, value) => {
    const error = configError({ type: "mock", max_size_gb: 1, mock_bandwidth_gb: 1, [field]: value });
    expect(error.field).toBe(field);
    expect(error.message).toContain("must be a number");
  });

  it("an unknown key names the closest valid one", () => {
    const error = configError({ type: "mock", max_size_gb: 1, mock_bandwidth_gb: 1, max_size: 1 });
    expect(error.message).toContain('did you mean "max_size_gb"');
  });

  it("help lists both fields as required, and the example parses", () => {
    const help = MockL2AdapterConfig.help();
    expect(help).toContain("- max_size_gb (number, required): capacity in GiB (2^30 bytes)");
    expect(help).toContain("- mock_bandwidth_gb (number, required)");
    const example = /--l2-adapter '(.*)'/.exec(help)?.[1];
    expect(MockL2AdapterConfig.fromDict(JSON.parse(example!)).type).toBe("mock");
  });

  it("capacity is GiB based (2^30 bytes per unit)", () => {
    const adapter = new MockL2Adapter(
      MockL2AdapterConfig.fromDict({ type: "mock", max_size_gb: 0.5, mock_bandwidth_gb: 1 }),
    );
    expect(adapter.capacityBytes).toBe(2 ** 29);
    expect(adapter.bandwidthBytesPerSecond).toBe(2 ** 30);
    expect(adapter.usage().totalCapacityBytes).toBe(2 ** 29);
    expect(adapter.status().maxCapacityBytes).toBe(2 ** 29);
    expect(adapter.usage().usageFraction).toBe(0);
  });
});
