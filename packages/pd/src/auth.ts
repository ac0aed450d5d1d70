import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Constant-time shared-secret check. Both sides are hashed first so the comparison time depends on
 * neither the token's content nor its length. No configured token = every peer is accepted.
 */
export function tokenAccepted(expected: string | undefined, given: string | undefined): boolean {
  if (expected === undefined) return true;
  const a = createHash("sha256").update(expected, "utf8").digest();
  const b = createHash("sha256")
    .update(given ?? "", "utf8")
    .digest();
  return timingSafeEqual(a, b) && given !== undefined;
}
