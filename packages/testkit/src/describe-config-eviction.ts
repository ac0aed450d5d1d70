import {
  createL2Adapter,
  createL2AdapterRegistry,
  type L2Adapter,
  ObjectKey,
  parseL2AdapterArgs,
  silentLogger,
} from "@x/l2-core";
import { afterEach, describe, expect, it } from "vitest";
import { createTempDir, type TempDir } from "./temp-dir.js";

export interface ConfigEvictionOptions {
  /** Label for the describe block. */
  name: string;
  /**
   * The `--l2-adapter` JSON for an adapter whose capacity is `capacityBytes`, with an `eviction` block
   * (`"eviction":{"eviction_policy":"LRU"}`) and nothing else set up by the test. `dir` is a fresh
   * temporary directory for adapters that need one.
   */
  configString(capacityBytes: number, dir: string): string;
  /** Application root for discovery (default: the current directory). */
  root?: string | undefined;
  /** Bytes per chunk (default 64 KiB). */
  chunkBytes?: number | undefined;
}

/**
 * A config string alone does what it says: parsed and created through the registry, with no controller
 * built by hand, an adapter with a capacity and an `eviction` block keeps accepting stores past its
 * capacity by evicting the oldest unlocked keys, and never a locked one.
 */
export function describeConfigStringEviction(options: ConfigEvictionOptions): void {
  const chunk = options.chunkBytes ?? 64 * 1024;
  const capacityChunks = 4;
  const open: L2Adapter[] = [];
  const dirs: TempDir[] = [];
  const key = (n: number) =>
    new ObjectKey({ chunkHash: new Uint8Array([n, 0xe5]), modelName: "config-eviction", kvRank: 0 });

  const create = async (): Promise<L2Adapter> => {
    const dir = await createTempDir("x-l2-config-eviction-");
    dirs.push(dir);
    const text = options.configString(capacityChunks * chunk, dir.path);
    // What a server does with the string: parse it, create the adapter, nothing else.
    let adapter: L2Adapter;
    if (options.root === undefined) {
      const [config] = await parseL2AdapterArgs([text]);
      adapter = await createL2Adapter(config!, { logger: silentLogger });
    } else {
      const registry = createL2AdapterRegistry({ root: options.root, logger: silentLogger });
      const [config] = await registry.parseArgs([text]);
      adapter = await registry.create(config!, { logger: silentLogger });
    }
    open.push(adapter);
    return adapter;
  };

  describe(`${options.name}: eviction from the config string alone`, () => {
    afterEach(async () => {
      for (const adapter of open.splice(0)) await adapter.close().catch(() => {});
      for (const dir of dirs.splice(0)) await dir.remove();
    });

    it("stores keep succeeding past capacity; the oldest keys go first", async () => {
      const adapter = await create();
      expect(adapter.usage().totalCapacityBytes).toBe(capacityChunks * chunk);
      for (let i = 0; i < 3 * capacityChunks; i++) {
        const result = await adapter.store([key(i)], [new Uint8Array(chunk).fill(i)]);
        expect(result, `store ${i}`).toMatchObject({ ok: true });
      }
      const all = [...Array(3 * capacityChunks).keys()].map(key);
      const present = await adapter.lookupAndLock(all);
      adapter.unlock(all);
      const newest = all.length - capacityChunks;
      expect(present.indices().every((i) => i >= newest - 1)).toBe(true);
      expect(present.test(all.length - 1)).toBe(true);
      expect(adapter.usage().totalBytesUsed).toBeLessThanOrEqual(capacityChunks * chunk);
      const target = new Uint8Array(chunk);
      expect((await adapter.load([key(all.length - 1)], [target])).test(0)).toBe(true);
      expect(target.every((b) => b === all.length - 1)).toBe(true);
    });

    it("a locked key is never evicted to make room", async () => {
      const adapter = await create();
      await adapter.store([key(0)], [new Uint8Array(chunk).fill(7)]);
      expect((await adapter.lookupAndLock([key(0)])).test(0)).toBe(true);
      for (let i = 1; i < 3 * capacityChunks; i++) {
        expect((await adapter.store([key(i)], [new Uint8Array(chunk).fill(i)])).ok).toBe(true);
      }
      const target = new Uint8Array(chunk);
      expect((await adapter.load([key(0)], [target])).test(0)).toBe(true);
      expect(target.every((b) => b === 7)).toBe(true);
      adapter.unlock([key(0)]);
    });
  });
}
