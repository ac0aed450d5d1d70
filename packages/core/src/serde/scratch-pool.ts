/**
 * Reusable frame buffers for adapters without vectored I/O. KV chunks of one deployment have a few fixed
 * sizes, so buffers are kept per exact size; a fresh multi-MiB buffer costs page faults on every use,
 * which measured as a larger cost than the copy itself. Retains at most `maxBytes` in total.
 */
export class ScratchPool {
  readonly #free = new Map<number, Buffer[]>();
  readonly #maxBytes: number;
  #retained = 0;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** A buffer of exactly `size` bytes with unspecified content. */
  take(size: number): Buffer {
    const list = this.#free.get(size);
    const buffer = list?.pop();
    if (buffer) {
      this.#retained -= size;
      return buffer;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** Gives a buffer back once nothing reads or writes it any more. */
  give(buffer: Buffer): void {
    if (this.#retained + buffer.byteLength > this.#maxBytes) return;
    let list = this.#free.get(buffer.byteLength);
    if (!list) {
      list = [];
      this.#free.set(buffer.byteLength, list);
    }
    list.push(buffer);
    this.#retained += buffer.byteLength;
  }

  clear(): void {
    this.#free.clear();
    this.#retained = 0;
  }
}
