import { isL2Error } from "@x/l2-core";

/**
 * The text printed on stderr for a failure: `error [CODE]: message`, the hint when there is one and,
 * for config errors, the adapter type's help so the user sees every valid field.
 */
export function formatError(error: unknown, options: { withHelp?: boolean } = {}): string {
  if (isL2Error(error)) {
    const lines = [`error [${error.code}]: ${error.message}`];
    if (error.hint) lines.push(`hint: ${error.hint}`);
    if (options.withHelp !== false && error.help) lines.push("", error.help);
    return `${lines.join("\n")}\n`;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `error: ${message}\n`;
}
