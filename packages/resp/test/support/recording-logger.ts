import type { L2Logger } from "@x/l2-core";

/** Keeps every log line (message and fields as JSON), to prove secrets never reach the log. */
export function recordingLogger(): L2Logger & { lines: string[] } {
  const lines: string[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
  return {
    lines,
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  } as L2Logger & { lines: string[] };
}
