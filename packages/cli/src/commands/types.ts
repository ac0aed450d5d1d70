import type { L2AdapterRegistry } from "@x/l2-core";
import { listTypeRows } from "../cli-registry.js";
import { EXIT_OK } from "../exit-codes.js";
import { formatTable } from "../text-table.js";

/** `x-l2 types`: every adapter type the application can use, read from package.json files only. */
export async function typesCommand(
  registry: L2AdapterRegistry,
  options: { json?: boolean },
): Promise<number> {
  const rows = await listTypeRows(registry);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT_OK;
  }
  process.stdout.write(`adapter types available from ${registry.root}:\n`);
  process.stdout.write(
    formatTable(
      ["TYPE", "PACKAGE", "VERSION", "MEDIUM", "SOURCE", "PROBLEM"],
      rows.map((row) => [
        row.type,
        row.package ?? "-",
        row.version ?? "-",
        row.medium ?? "-",
        row.note ?? (row.source === "package" ? `package.json (${row.entry ?? "."})` : "registered in code"),
        row.problem ? `${row.problem.code}: ${row.problem.message}` : "-",
      ]),
    ),
  );
  return EXIT_OK;
}
