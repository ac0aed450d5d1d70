import type { L2Adapter } from "@x/l2-core";
import { isThenable, withTimeout } from "./timeout.js";

/**
 * A view of `adapter` whose promise-returning methods reject after `timeoutMs` instead of hanging.
 * Methods run on the real adapter (private fields keep working); sync methods pass through unchanged.
 */
export function guardAdapter(adapter: L2Adapter, timeoutMs: number): L2Adapter {
  return new Proxy(adapter, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        if (!isThenable(result)) return result;
        return withTimeout(result, timeoutMs, `${describeType(target)}.${String(property)}()`);
      };
    },
  });
}

function describeType(adapter: L2Adapter): string {
  try {
    return typeof adapter.type === "string" ? `adapter "${adapter.type}"` : "adapter";
  } catch {
    return "adapter";
  }
}
