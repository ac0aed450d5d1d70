import type { z } from "zod";

type AnySchema = z.ZodType;
const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "nonoptional", "catch"]);

/** The schema with optional/default/nullable wrappers removed. */
function unwrapSchema(schema: AnySchema): AnySchema {
  let current = schema as any;
  while (current?._zod?.def && WRAPPERS.has(current._zod.def.type) && current._zod.def.innerType) {
    current = current._zod.def.innerType;
  }
  return current as AnySchema;
}

/** The object keys accepted at `path` inside `schema`, or [] when that is not an object. */
export function keysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let current: any = unwrapSchema(schema);
  for (const part of path) {
    if (current?._zod?.def?.type !== "object") return [];
    const next = current._zod.def.shape[part as string];
    if (next === undefined) return [];
    current = unwrapSchema(next);
  }
  return current?._zod?.def?.type === "object" ? Object.keys(current._zod.def.shape) : [];
}
