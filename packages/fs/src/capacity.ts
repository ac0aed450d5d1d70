import { L2Error } from "@x/l2-core";

/**
 * Admission against `max_capacity_gb`: a write is let in only when its bytes fit next to what is stored
 * and what other writes in flight have reserved, so concurrent stores cannot overshoot together.
 */
export class CapacityAdmission {
  readonly #capacityBytes: number;
  readonly #adapterType: string;
  #reservedBytes = 0;

  constructor(capacityBytes: number, adapterType: string) {
    this.#capacityBytes = capacityBytes;
    this.#adapterType = adapterType;
  }

  /** Reserves `bytes` (throws IO_FAILED when they do not fit); call the returned function when done. */
  reserve(usedBytes: number, bytes: number): () => void {
    if (this.#capacityBytes > 0) {
      const used = usedBytes + this.#reservedBytes;
      if (used + bytes > this.#capacityBytes) {
        throw new L2Error(
          "IO_FAILED",
          `capacity reached: ${bytes} bytes do not fit (${used}/${this.#capacityBytes} bytes used); ` +
            "raise max_capacity_gb or configure an `eviction` block",
          { adapterType: this.#adapterType },
        );
      }
    }
    this.#reservedBytes += bytes;
    return () => {
      this.#reservedBytes -= bytes;
    };
  }
}
