import type { ObjectKey, QuotaManager } from "@x/l2-core";
import type { AdapterSlot } from "./adapter-slot.js";

/**
 * Per-salt byte limits enforced before a store starts (LMCache's quotas are soft: the eviction controller
 * trims a salt on its next round). A key whose salt has a quota is refused for an adapter when the salt's
 * bytes there, plus bytes of its stores still in flight, plus the key would exceed the quota. Salts
 * without a quota are not limited here.
 */
export class HardQuota {
  readonly #quotas: QuotaManager;
  /** `${slotId}\0${salt}` -> bytes of admitted stores not yet settled. */
  readonly #reserved = new Map<string, number>();

  constructor(quotas: QuotaManager) {
    this.#quotas = quotas;
  }

  admit(slot: AdapterSlot, key: ObjectKey, sizeBytes: number): boolean {
    const salt = key.cacheSalt;
    if (!this.#quotas.hasQuota(salt)) return true;
    const limit = this.#quotas.limitFor(salt);
    const id = `${slot.id}\0${salt}`;
    const reserved = this.#reserved.get(id) ?? 0;
    let used = 0;
    try {
      used = slot.adapter.usage().bytesByCacheSalt[salt] ?? 0;
    } catch {
      used = 0;
    }
    if (used + reserved + sizeBytes > limit) {
      slot.quotaRefused();
      return false;
    }
    this.#reserved.set(id, reserved + sizeBytes);
    return true;
  }

  settle(slot: AdapterSlot, key: ObjectKey, sizeBytes: number): void {
    const id = `${slot.id}\0${key.cacheSalt}`;
    const reserved = this.#reserved.get(id);
    if (reserved === undefined) return;
    const left = reserved - sizeBytes;
    if (left > 0) this.#reserved.set(id, left);
    else this.#reserved.delete(id);
  }
}
