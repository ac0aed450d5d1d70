import { L2Error } from "@x/l2-core";

/** Config keys whose values never appear in status(), logs, `x-l2 check` output or errors. */
export const SECRET_KEYS = ["password"] as const;
export const REDACTED = "<redacted>";

/**
 * Checks secret fields before the schema sees them: the generic config errors quote the offending value,
 * which must not happen for a password.
 */
export function checkSecretFields(type: string, dict: unknown): void {
  if (typeof dict !== "object" || dict === null || Array.isArray(dict)) return;
  for (const key of SECRET_KEYS) {
    const value = (dict as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== "string") {
      throw new L2Error(
        "CONFIG_INVALID",
        `field "${key}": must be a string (the value is not shown because it is a secret)`,
        { adapterType: type, field: key, hint: `write "${key}" as a JSON string` },
      );
    }
  }
}

/** The dict with every secret replaced, for anything that prints a config. */
export function redactSecrets(dict: Record<string, unknown>): Record<string, unknown> {
  const out = { ...dict };
  for (const key of SECRET_KEYS) if (typeof out[key] === "string" && out[key] !== "") out[key] = REDACTED;
  return out;
}

/** Removes a secret from text that came from elsewhere (a client error message, say). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(REDACTED);
  return out;
}
