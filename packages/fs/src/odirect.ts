import type { L2Logger } from "@x/l2-core";
import { errnoOf } from "./fs-ops.js";

const WASM_PAGE = 65_536;

/** The one WebAssembly API used here (the lib settings of this package do not include its types). */
interface WasmMemoryConstructor {
  new (descriptor: { initial: number; maximum?: number }): { readonly buffer: ArrayBuffer };
}
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryConstructor } }).WebAssembly
  .Memory;
/** Errors that mean "this file system or buffer does not do O_DIRECT", not "the disk failed". */
const DIRECT_REJECTED = new Set(["EINVAL", "EOPNOTSUPP", "ENOTSUP", "EFAULT"]);

export function isDirectIoRejection(error: unknown): boolean {
  const code = errnoOf(error);
  return code !== undefined && DIRECT_REJECTED.has(code);
}

/**
 * O_DIRECT state of one adapter. Node cannot choose a Buffer's address, but a WebAssembly.Memory is
 * page-aligned, so chunks go through pooled aligned windows (one copy at ~35 GB/s). Used only for sizes
 * that are a multiple of the file system block size. The first rejected direct operation (EINVAL on
 * tmpfs, FUSE, unaligned memory...) switches this adapter to buffered I/O for good, logged once with the
 * errno (LMCache #4386: the tier must not die while reporting healthy).
 */
export class DirectIo {
  readonly requested: boolean;
  #active: boolean;
  #blockSize = 4096;
  #disabledReason: string | undefined;
  readonly #pool = new Map<number, Buffer[]>();
  readonly #maxPooledPerSize: number;
  readonly #logger: L2Logger;
  /** Fault injection for tests: hand out windows 16 bytes off alignment so the kernel rejects them. */
  readonly #misalign: boolean;

  constructor(requested: boolean, logger: L2Logger, maxPooledPerSize: number, misalignForTest = false) {
    this.requested = requested;
    this.#active = requested;
    this.#logger = logger;
    this.#maxPooledPerSize = maxPooledPerSize;
    this.#misalign = misalignForTest;
  }

  get active(): boolean {
    return this.#active;
  }

  get blockSize(): number {
    return this.#blockSize;
  }

  get disabledReason(): string | undefined {
    return this.#disabledReason;
  }

  /** What `status().odirect` reports. */
  describe(): { requested: boolean; active: boolean; blockSize: number; disabledReason: string | undefined } {
    const { requested, active, blockSize, disabledReason } = this;
    return { requested, active, blockSize, disabledReason };
  }

  /** Block size from statfs; O_DIRECT sizes and offsets must be multiples of it. */
  setBlockSize(bytes: number): void {
    if (Number.isInteger(bytes) && bytes >= 512) this.#blockSize = bytes;
  }

  /** Direct I/O is used for this size: active and block-aligned. */
  usable(size: number): boolean {
    return this.#active && size > 0 && size % this.#blockSize === 0;
  }

  disable(error: unknown, during: string): void {
    if (!this.#active) return;
    this.#active = false;
    const errno = errnoOf(error) ?? "unknown";
    this.#disabledReason = `${during} rejected with ${errno}`;
    this.#pool.clear();
    this.#logger.warn(
      `O_DIRECT ${during} rejected (${errno}); using buffered I/O for the rest of this adapter's life`,
      { errno, error: String(error) },
    );
  }

  /** An aligned window of exactly `size` bytes; give it back with {@link release}. */
  acquire(size: number): Buffer {
    const pages = Math.ceil((size + (this.#misalign ? 16 : 0)) / WASM_PAGE);
    const pooled = this.#pool.get(pages)?.pop();
    const backing = pooled ?? Buffer.from(new WasmMemory({ initial: pages, maximum: pages }).buffer);
    return backing.subarray(this.#misalign ? 16 : 0, (this.#misalign ? 16 : 0) + size);
  }

  release(window: Buffer): void {
    if (!this.#active) return;
    const backing = Buffer.from(window.buffer);
    const pages = backing.byteLength / WASM_PAGE;
    const list = this.#pool.get(pages) ?? [];
    if (list.length < this.#maxPooledPerSize) list.push(backing);
    this.#pool.set(pages, list);
  }
}
