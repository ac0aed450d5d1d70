/** Renders a type's help from its JSON Schema, so help text can never drift from the parser. */
export interface HelpInput {
  type: string;
  summary: string;
  jsonSchema: Record<string, any>;
  sharedKeys: readonly string[];
  example: Record<string, unknown>;
}

function describeJsonType(schema: Record<string, any> | undefined): string {
  if (!schema) return "any";
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v: unknown) => JSON.stringify(v)).join(" | ");
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return union.map((s: Record<string, any>) => describeJsonType(s)).join(" | ");
  if (schema.type === "array") return `${describeJsonType(schema.items)}[]`;
  if (schema.type === "integer") return "integer";
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (typeof schema.type === "string") return schema.type;
  return "any";
}

function constraints(schema: Record<string, any>): string[] {
  const out: string[] = [];
  if (schema.exclusiveMinimum !== undefined) out.push(`> ${schema.exclusiveMinimum}`);
  if (schema.minimum !== undefined) out.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMaximum !== undefined) out.push(`< ${schema.exclusiveMaximum}`);
  if (schema.maximum !== undefined) out.push(`<= ${schema.maximum}`);
  if (schema.minLength !== undefined && schema.minLength > 0) out.push(`length >= ${schema.minLength}`);
  if (schema.minItems !== undefined && schema.minItems > 0) out.push(`at least ${schema.minItems} item(s)`);
  return out;
}

/** One line per field: `- name (type, required|optional, default X): meaning [constraints]`. */
function fieldLines(schema: Record<string, any>, indent = ""): string[] {
  const required = new Set<string>(schema.required ?? []);
  const lines: string[] = [];
  for (const [name, prop] of Object.entries<Record<string, any>>(schema.properties ?? {})) {
    if (name === "type" && indent === "") continue; // the adapter type; a nested "type" (serde) is listed
    const parts = [describeJsonType(prop), required.has(name) ? "required" : "optional"];
    if (prop.default !== undefined) parts.push(`default ${JSON.stringify(prop.default)}`);
    const limits = constraints(prop);
    const meaning = prop.description ? `: ${prop.description}` : "";
    lines.push(
      `${indent}- ${name} (${parts.join(", ")})${meaning}${limits.length ? ` [${limits.join(", ")}]` : ""}`,
    );
    if (prop.type === "object" && prop.properties) lines.push(...fieldLines(prop, `${indent}  `));
  }
  return lines;
}

export function renderHelp(input: HelpInput): string {
  const shared = new Set(input.sharedKeys);
  const own = { ...input.jsonSchema, properties: {} as Record<string, unknown> };
  const common = { ...input.jsonSchema, properties: {} as Record<string, unknown> };
  for (const [name, prop] of Object.entries(input.jsonSchema.properties ?? {})) {
    (shared.has(name) ? common : own).properties[name] = prop;
  }
  const ownLines = fieldLines(own);
  return [
    `L2 adapter type "${input.type}": ${input.summary}`,
    "Fields:",
    ...(ownLines.length ? ownLines : ["  (none besides the shared ones)"]),
    "Shared fields (every type):",
    ...fieldLines(common),
    "Example:",
    `  --l2-adapter '${JSON.stringify({ type: input.type, ...input.example })}'`,
  ].join("\n");
}
