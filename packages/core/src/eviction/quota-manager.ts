import { L2Error } from "../errors.js";

/**
 * Byte quotas per cache salt for `IsolatedLRU` eviction. A salt without a quota has limit 0, which the
 * eviction controller treats as "not allowed to keep anything" (LMCache's semantics: unknown tenants are
 * wiped). "" is the unsalted bucket.
 */
export class QuotaManager {
  readonly #limits = new Map<string, number>();

  constructor(initial?: Iterable<readonly [string, number]> | Readonly<Record<string, number>>) {
    if (initial === undefined) return;
    const entries =
      Symbol.iterator in Object(initial)
        ? (initial as Iterable<readonly [string, number]>)
        : Object.entries(initial as Record<string, number>);
    for (const [salt, bytes] of entries) this.setQuota(salt, bytes);
  }

  /** Sets the byte limit of `cacheSalt`; 0 removes what the salt may keep. */
  setQuota(cacheSalt: string, bytes: number): void {
    if (typeof cacheSalt !== "string") {
      throw new L2Error("ARGUMENT_INVALID", "cacheSalt must be a string", { field: "cacheSalt" });
    }
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new L2Error(
        "ARGUMENT_INVALID",
        `quota for cache salt ${JSON.stringify(cacheSalt)} must be an integer number of bytes >= 0, got ${String(bytes)}`,
        { field: "bytes" },
      );
    }
    this.#limits.set(cacheSalt, bytes);
  }

  removeQuota(cacheSalt: string): void {
    this.#limits.delete(cacheSalt);
  }

  /** The byte limit of a salt; 0 when it has no quota. */
  limitFor(cacheSalt: string): number {
    return this.#limits.get(cacheSalt) ?? 0;
  }

  hasQuota(cacheSalt: string): boolean {
    return this.#limits.has(cacheSalt);
  }

  entries(): Array<[string, number]> {
    return [...this.#limits.entries()];
  }
}
