import { missingAdapterMethods } from "../adapter-type.js";

/**
 * Why `value` is not usable as an adapter class, or undefined when it is. Checked by shape (a
 * constructor whose prototype chain has every contract method), never `instanceof`: a plugin built
 * against another copy of @x/l2-core is just as valid.
 */
export function adapterClassProblem(value: unknown): string | undefined {
  if (typeof value !== "function") {
    if (value === undefined || value === null) return `it is ${String(value)}`;
    const missing = missingAdapterMethods(value);
    return missing.length === 0
      ? "it is an adapter instance; export the class itself"
      : `it is ${Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`}, not a class`;
  }
  const prototype = (value as { prototype?: unknown }).prototype;
  if (typeof prototype !== "object" || prototype === null) {
    return "it is a function without a prototype (an arrow or async function), not a class";
  }
  const missing = missingAdapterMethods(prototype);
  if (missing.length > 0) return `its prototype lacks ${missing.join(", ")}`;
  return undefined;
}
