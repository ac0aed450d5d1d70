/** Left-aligned columns separated by two spaces; numeric-looking cells are right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)));
  const numeric = header.map(
    (_, c) => rows.length > 0 && rows.every((row) => /^[-+]?[\d.,x%]*$/.test(row[c] ?? "")),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return `${all.map(line).join("\n")}\n`;
}
