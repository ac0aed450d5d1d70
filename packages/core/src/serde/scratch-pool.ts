/**
 * Reusable frame buffers for adapters without vectored I/O. Plain Uint8Arrays, never Buffers: an adapter
 * that copies with `.slice()` would keep a view of a Buffer (Buffer#slice does not copy). KV chunks of one
 * deployment have a few fixed sizes, so buffers are kept per exact size; a fresh multi-MiB buffer costs
 * page faults on every use, which measured as a larger cost than the copy itself. Retains at most `maxBytes` in total.
 */
export class ScratchPool {
  readonly #free = new Map<number, Uint8Array[]>();
  readonly #maxBytes: number;
  #retained = 0;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** A buffer of exactly `size` bytes with unspecified content. */
  take(size: number): Uint8Array {
    const list = this.#free.get(size);
    const buffer = list?.pop();
    if (buffer) {
      this.#retained -= size;
      return buffer;
    }
    return new Uint8Array(size);
  }

  /** Gives a buffer back once nothing reads or writes it any more. */
  give(buffer: Uint8Array): void {
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
