import { L2Error } from "./errors.js";

/**
 * A fixed-size bit set: bit i answers for keys[i] of a batch. Binary operations truncate to the shorter
 * operand, as LMCache's does.
 */
export class Bitmap {
  readonly size: number;
  readonly #words: Uint32Array;

  /** `prefixBits` sets bits 0..prefixBits-1. */
  constructor(size: number, prefixBits = 0) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new L2Error("ARGUMENT_INVALID", `Bitmap size must be an integer >= 0, got ${String(size)}`);
    }
    if (!Number.isSafeInteger(prefixBits) || prefixBits < 0 || prefixBits > size) {
      throw new L2Error(
        "ARGUMENT_INVALID",
        `Bitmap prefixBits must be an integer from 0 to ${size}, got ${prefixBits}`,
      );
    }
    this.size = size;
    this.#words = new Uint32Array(Math.ceil(size / 32));
    const full = prefixBits >>> 5;
    this.#words.fill(0xffffffff, 0, full);
    if (prefixBits & 31) this.#words[full] = (1 << (prefixBits & 31)) - 1;
  }

  static fromIndices(size: number, indices: Iterable<number>): Bitmap {
    const bitmap = new Bitmap(size);
    for (const i of indices) bitmap.set(i);
    return bitmap;
  }

  static fromBooleans(bits: readonly boolean[]): Bitmap {
    const bitmap = new Bitmap(bits.length);
    bits.forEach((bit, i) => {
      if (bit) bitmap.set(i);
    });
    return bitmap;
  }

  #check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new L2Error(
        "ARGUMENT_INVALID",
        `Bitmap index ${String(index)} is out of range 0..${this.size - 1}`,
      );
    }
  }

  set(index: number): this {
    this.#check(index);
    this.#words[index >>> 5]! |= 1 << (index & 31);
    return this;
  }

  clear(index: number): this {
    this.#check(index);
    this.#words[index >>> 5]! &= ~(1 << (index & 31));
    return this;
  }

  test(index: number): boolean {
    this.#check(index);
    return (this.#words[index >>> 5]! & (1 << (index & 31))) !== 0;
  }

  popcount(): number {
    let count = 0;
    for (let w of this.#words) {
      w -= (w >>> 1) & 0x55555555;
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      count += (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return count;
  }

  /** Number of consecutive set bits from index 0: the loadable prefix of a batch. */
  countLeadingOnes(): number {
    let i = 0;
    while (i < this.size && this.test(i)) i++;
    return i;
  }

  /** Number of consecutive clear bits from index 0. */
  countLeadingZeros(): number {
    let i = 0;
    while (i < this.size && !this.test(i)) i++;
    return i;
  }

  and(other: Bitmap): Bitmap {
    return this.#combine(other, (a, b) => a & b);
  }

  or(other: Bitmap): Bitmap {
    return this.#combine(other, (a, b) => a | b);
  }

  not(): Bitmap {
    const out = new Bitmap(this.size);
    for (let i = 0; i < this.size; i++) if (!this.test(i)) out.set(i);
    return out;
  }

  #combine(other: Bitmap, op: (a: number, b: number) => number): Bitmap {
    const size = Math.min(this.size, other.size);
    const out = new Bitmap(size);
    for (let i = 0; i < size; i++) if (op(this.test(i) ? 1 : 0, other.test(i) ? 1 : 0)) out.set(i);
    return out;
  }

  /** Indices of the set bits, ascending. */
  indices(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.test(i)) out.push(i);
    return out;
  }

  /** The items whose bit is set; `items` must have one element per bit. */
  gather<T>(items: readonly T[]): T[] {
    if (items.length !== this.size) {
      throw new L2Error("ARGUMENT_INVALID", `Bitmap.gather needs ${this.size} items, got ${items.length}`);
    }
    return items.filter((_, i) => this.test(i));
  }

  equals(other: Bitmap): boolean {
    if (other.size !== this.size) return false;
    for (let i = 0; i < this.size; i++) if (this.test(i) !== other.test(i)) return false;
    return true;
  }

  /** "0"/"1" per bit, index 0 first. */
  toString(): string {
    let s = "";
    for (let i = 0; i < this.size; i++) s += this.test(i) ? "1" : "0";
    return s;
  }
}

/** Brand-free structural check, so bitmaps from another copy of core are accepted. */
export function isBitmap(value: unknown): value is Bitmap {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Bitmap).size === "number" &&
    typeof (value as Bitmap).test === "function" &&
    typeof (value as Bitmap).popcount === "function"
  );
}
