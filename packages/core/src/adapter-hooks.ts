import type { Bitmap } from "./bitmap.js";
import type { L2Error } from "./errors.js";

/** What `_lookup` may return instead of a bare Bitmap: the sizes let the base count keys it did not know. */
export interface LookupResult {
  /** Bit i set ⇔ keys[i] is present. */
  readonly found: Bitmap;
  /** Size of each present key, when the backend knows it cheaply (a stat, a STRLEN). */
  readonly sizes?: readonly (number | undefined)[] | undefined;
}

/** What `_store` returns in 0.2 adapters: per key, whether it is stored now. The base computes the rest. */
export interface StoreOutcome {
  /** Bit i set ⇔ keys[i] is stored now: written by this call, or already there. */
  readonly stored: Bitmap;
  /** Bit i set ⇔ this call wrote keys[i]. Absent: every stored key the base did not know was written. */
  readonly written?: Bitmap | undefined;
  /** Why keys are missing from `stored`. */
  readonly error?: L2Error | undefined;
}

/** What `_load` may return instead of a bare Bitmap. */
export interface LoadOutcome {
  /** Bit i set ⇔ targets[i] was filled completely with exactly the stored object. */
  readonly loaded: Bitmap;
  /** Bit i set ⇔ keys[i] turned out not to exist (another process removed it): it leaves the index. */
  readonly gone?: Bitmap | undefined;
}
