import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Challenge-response with the shared `auth_token`; the token itself never goes on the wire. Each MAC is
 * HMAC-SHA256(token, label + fields) over a fresh nonce of the side that checks it, so a captured
 * handshake replays nowhere (the next connection gets another nonce) and the token cannot be read from
 * it. Labels differ per message so one message's MAC cannot stand in for another's.
 */
export type MacLabel = "pd-hello" | "pd-hello-ok" | "pd-attach" | "pd-attach-ok";

/** 16 random bytes, hex: a challenge or a sender nonce. */
export function freshNonce(): string {
  return randomBytes(16).toString("hex");
}

/** The MAC of `fields` under `token`; "" when no token is configured (no authentication). */
export function mac(
  token: string | undefined,
  label: MacLabel,
  fields: readonly (string | number)[],
): string {
  if (token === undefined) return "";
  const h = createHmac("sha256", token);
  h.update(label);
  // Length-prefixed so no two field lists hash alike.
  for (const f of fields) {
    const s = String(f);
    h.update(`\n${s.length}:${s}`);
  }
  return h.digest("hex");
}

/** Constant-time check of a MAC from the wire. No configured token = every peer is accepted. */
export function macAccepted(
  token: string | undefined,
  label: MacLabel,
  fields: readonly (string | number)[],
  given: unknown,
): boolean {
  if (token === undefined) return true;
  if (typeof given !== "string" || given.length !== 64) return false;
  const expected = Buffer.from(mac(token, label, fields), "hex");
  const actual = Buffer.from(given, "hex");
  return actual.length === expected.length && timingSafeEqual(expected, actual);
}

/**
 * Constant-time comparison of two shared secrets (the in-process mock_memory handshake, where nothing
 * travels): both are hashed first, so the time depends on neither content nor length.
 */
export function tokenAccepted(expected: string | undefined, given: string | undefined): boolean {
  if (expected === undefined) return true;
  if (given === undefined) return false;
  const a = createHash("sha256").update(expected, "utf8").digest();
  const b = createHash("sha256").update(given, "utf8").digest();
  return timingSafeEqual(a, b);
}
