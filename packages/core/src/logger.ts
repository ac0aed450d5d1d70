/** The logging surface adapters receive in their context. Any console-like logger fits. */
export interface L2Logger {
  debug(message: string, details?: Record<string, unknown>): void;
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
type Level = (typeof LEVELS)[number];

/**
 * Writes to stderr at or above `level` (default: `X_L2_LOG_LEVEL`, else "warn"), prefixed with `[x-l2]` and
 * an optional scope such as the adapter type.
 */
export function createConsoleLogger(scope?: string, level?: Level): L2Logger {
  const env = process.env.X_L2_LOG_LEVEL as Level | undefined;
  const threshold = LEVELS.indexOf(level ?? (env && LEVELS.includes(env) ? env : "warn"));
  const prefix = scope ? `[x-l2] [${scope}]` : "[x-l2]";
  const write =
    (lvl: Exclude<Level, "silent">) =>
    (message: string, details?: Record<string, unknown>): void => {
      if (LEVELS.indexOf(lvl) < threshold) return;
      const suffix = details && Object.keys(details).length > 0 ? ` ${safeJson(details)}` : "";
      process.stderr.write(`${prefix} ${lvl}: ${message}${suffix}\n`);
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return String(value);
  }
}

export const silentLogger: L2Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
