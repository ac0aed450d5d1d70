import type { L2Logger } from "@x/l2-core";
import type { AdapterSlot } from "./adapter-slot.js";
import { probeAdapter } from "./probe.js";

export interface HealthMonitorOptions {
  slots: () => readonly AdapterSlot[];
  intervalMs: number;
  logger: L2Logger;
}

/**
 * Every `intervalMs`: an active adapter whose `status()` says unhealthy is taken out of routing; an
 * unhealthy one is probed with a real round trip and taken back when it passes. The timer never keeps
 * Node alive; probes of one adapter never overlap.
 */
export class HealthMonitor {
  readonly #o: HealthMonitorOptions;
  #timer: NodeJS.Timeout | undefined;
  readonly #probing = new Set<AdapterSlot>();
  readonly #running = new Set<Promise<void>>();

  constructor(options: HealthMonitorOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.checkNow(), this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#running]);
  }

  /** One check of every adapter (also what the timer runs); resolves when its probes have finished. */
  checkNow(): Promise<void> {
    const probes: Promise<void>[] = [];
    for (const slot of this.#o.slots()) {
      if (slot.state === "active") {
        let healthy = true;
        try {
          healthy = slot.adapter.status().healthy === true;
        } catch {
          healthy = false;
        }
        if (!healthy) slot.markUnhealthy("status() reports unhealthy");
      }
      if (slot.state === "unhealthy" && !this.#probing.has(slot)) probes.push(this.#probe(slot));
    }
    return Promise.all(probes).then(() => {});
  }

  async #probe(slot: AdapterSlot): Promise<void> {
    this.#probing.add(slot);
    const run = probeAdapter(slot)
      .then((result) => {
        if (result.ok) slot.markRecovered();
        else this.#o.logger.debug("probe failed", { adapter: slot.id, reason: result.reason });
      })
      .finally(() => {
        this.#probing.delete(slot);
        this.#running.delete(run);
      });
    this.#running.add(run);
    return run;
  }
}
