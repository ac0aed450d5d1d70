import { randomBytes } from "node:crypto";
import { ObjectKey } from "@x/l2-core";
import type { AdapterSlot } from "./adapter-slot.js";

/** Model name of probe keys; never a real model's (it is reserved here), so probes are never mistaken for data. */
export const PROBE_MODEL = "x-l2-storage-probe";
const PROBE_BYTES = 4096;

/**
 * One round trip through an adapter: store a small random object, look it up, load it and compare every
 * byte, then delete it. Goes to the adapter directly (not through the slot), so a probe neither counts as
 * traffic nor feeds the failure count it is judging.
 */
export async function probeAdapter(slot: AdapterSlot): Promise<{ ok: boolean; reason?: string }> {
  const adapter = slot.adapter;
  try {
    const status = adapter.status();
    if (status.healthy !== true) return { ok: false, reason: "status() reports unhealthy" };
  } catch (error) {
    return { ok: false, reason: `status() threw: ${String(error)}` };
  }
  const key = new ObjectKey({ chunkHash: randomBytes(16), modelName: PROBE_MODEL, kvRank: 0 });
  const bytes = randomBytes(PROBE_BYTES);
  try {
    const stored = await adapter.store([key], [bytes]);
    if (!stored.ok) {
      // A full adapter cannot take the probe object; a lookup that answers is then the round trip we get.
      const usage = adapter.usage();
      if (usage.totalCapacityBytes > 0 && usage.totalBytesUsed + PROBE_BYTES > usage.totalCapacityBytes) {
        const found = await adapter.lookupAndLock([key]);
        if (found.test(0)) adapter.unlock([key]);
        return { ok: true };
      }
      return { ok: false, reason: `probe store failed: ${stored.error?.message ?? "not ok"}` };
    }
    const found = await adapter.lookupAndLock([key]);
    if (!found.test(0)) return { ok: false, reason: "probe key not found after store" };
    const target = new Uint8Array(PROBE_BYTES);
    try {
      const loaded = await adapter.load([key], [target]);
      if (!loaded.test(0)) return { ok: false, reason: "probe load missed" };
      if (!Buffer.from(target).equals(bytes)) return { ok: false, reason: "probe load returned wrong bytes" };
    } finally {
      adapter.unlock([key]);
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `probe threw: ${String((error as Error)?.message ?? error)}` };
  } finally {
    await adapter.delete([key]).catch(() => {});
  }
}
