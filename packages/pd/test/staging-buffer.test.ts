import { describe, expect, it } from "vitest";
import { StagingBuffer } from "../src/staging-buffer.js";

describe("StagingBuffer", () => {
  it("allocates all or nothing within its capacity", () => {
    const staging = new StagingBuffer(4096);
    expect(staging.tryAllocate([2048, 2048, 64])).toBeNull();
    expect(staging.usedBytes).toBe(0);
    const regions = staging.tryAllocate([1000, 3000])!;
    expect(regions.map((r) => r.bytes.byteLength)).toEqual([1000, 3000]);
    expect(regions[0]!.offset + 1024).toBe(regions[1]!.offset);
    expect(staging.usedBytes).toBe(4096 - 64);
  });

  it("coalesces freed neighbours so a large region fits again", () => {
    const staging = new StagingBuffer(4096);
    const [a, b, c] = staging.tryAllocate([1024, 1024, 2048])!;
    staging.free(a!);
    staging.free(c!);
    expect(staging.tryAllocate([3072])).toBeNull();
    staging.free(b!);
    expect(staging.usedBytes).toBe(0);
    expect(staging.tryAllocate([4096])).not.toBeNull();
  });

  it("regions do not overlap: writes to one never show in another", () => {
    const staging = new StagingBuffer(1 << 16);
    const regions = staging.tryAllocate([100, 5000, 64, 7])!;
    for (const [i, r] of regions.entries()) r.bytes.fill(i + 1);
    for (const [i, r] of regions.entries()) expect(r.bytes.every((v) => v === i + 1)).toBe(true);
  });

  it("a waiting allocation gets space once it is freed, and times out to null otherwise", async () => {
    const staging = new StagingBuffer(4096);
    const [all] = staging.tryAllocate([4096])!;
    const refused = await staging.allocate([64], 20);
    expect(refused).toBeNull();
    const waiting = staging.allocate([2048], 5000);
    expect(staging.waitingBatches).toBe(1);
    staging.free(all!);
    expect((await waiting)?.[0]?.length).toBe(2048);
    expect(await staging.allocate([8192], 5000)).toBeNull();
  });
});
