import { randomBytes as cryptoRandomBytes } from "node:crypto";
import { type L2Adapter, missingAdapterMethods, ObjectKey, type ObjectKeyInit } from "@x/l2-core";
import { guardAdapter } from "./guarded-adapter.js";
import type { ConformanceEnv, ResolvedConformanceOptions } from "./options.js";
import { createTempDir, type TempDir } from "./temp-dir.js";
import { withTimeout } from "./timeout.js";

/** Thrown by `ctx.skip()`: the case does not apply to this adapter (for example a missing capability). */
export class CaseSkipped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "CaseSkipped";
  }
}

const DEFAULT_MODEL = "conformance-org/model-a";

/**
 * Everything one case needs: adapters (guarded by timeouts, closed afterwards), fresh keys, temp
 * directories. One context per case run, so nothing leaks between cases.
 */
export class CaseContext {
  readonly caseId: string;
  readonly options: ResolvedConformanceOptions;
  readonly #adapters: L2Adapter[] = [];
  readonly #tempDirs: TempDir[] = [];

  constructor(caseId: string, options: ResolvedConformanceOptions) {
    this.caseId = caseId;
    this.options = options;
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  get chunkSizes(): readonly number[] {
    return this.options.chunkSizes;
  }

  /** A fresh adapter from the author's `create()`, with every async method under the operation timeout. */
  async adapter(): Promise<L2Adapter> {
    const env: ConformanceEnv = { caseId: this.caseId, tempDir: () => this.tempDir() };
    const created = await withTimeout(
      Promise.resolve().then(() => this.options.create(env)),
      this.timeoutMs,
      "create()",
    );
    const missing = missingAdapterMethods(created);
    if (missing.length > 0) throw new Error(`create() returned an object without ${missing.join(", ")}`);
    this.#adapters.push(created);
    return guardAdapter(created, this.timeoutMs);
  }

  async tempDir(): Promise<string> {
    const dir = await createTempDir(`x-l2-${this.caseId.replace(/[^a-z0-9]+/gi, "-")}-`);
    this.#tempDirs.push(dir);
    return dir.path;
  }

  /** A key with a fresh random chunk hash; `init` overrides any field. */
  key(init: Partial<ObjectKeyInit> = {}): ObjectKey {
    return new ObjectKey({
      chunkHash: cryptoRandomBytes(16),
      modelName: DEFAULT_MODEL,
      kvRank: 0,
      objectGroupId: 0,
      cacheSalt: "",
      ...init,
    });
  }

  keys(count: number, init: Partial<ObjectKeyInit> = {}): ObjectKey[] {
    return Array.from({ length: count }, () => this.key(init));
  }

  skip(reason: string): never {
    throw new CaseSkipped(reason);
  }

  /** Closes every adapter this case created and removes its temp dirs; returns the first problem. */
  async cleanup(): Promise<Error | undefined> {
    let problem: Error | undefined;
    for (const adapter of this.#adapters.splice(0)) {
      try {
        await withTimeout(
          Promise.resolve().then(() => adapter.close()),
          this.timeoutMs,
          "close() during cleanup",
        );
      } catch (error) {
        problem ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    for (const dir of this.#tempDirs.splice(0)) {
      await dir.remove().catch((error: unknown) => {
        problem ??= new Error(`cannot remove temp dir ${dir.path}: ${String(error)}`);
      });
    }
    return problem;
  }
}
