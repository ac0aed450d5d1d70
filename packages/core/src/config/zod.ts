import { createRequire } from "node:module";
import type { z as Zod } from "zod";

// zod takes ~65 ms to evaluate, and importing core or listing adapter types needs no schema. So core
// loads it on first use: zod ships CommonJS, so a synchronous require behind this object is enough.
let loaded: typeof Zod | undefined;

/** zod's `z`, loaded on first use. */
export function loadZod(): typeof Zod {
  loaded ??= (createRequire(import.meta.url)("zod") as { z: typeof Zod }).z;
  return loaded;
}

const lazyZ = new Proxy({} as typeof Zod, {
  get: (_target, property) => Reflect.get(loadZod(), property),
  has: (_target, property) => Reflect.has(loadZod(), property),
  ownKeys: () => Reflect.ownKeys(loadZod()),
  getOwnPropertyDescriptor: (_target, property) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(loadZod(), property);
    return descriptor ? { ...descriptor, configurable: true } : undefined;
  },
});

/**
 * Adapters build their config schemas with this `z`, so every package shares core's copy of zod and the
 * help text and JSON Schema derived here see the same schema objects. It is zod's own `z`, evaluated the
 * first time a member is used.
 */
export const z: typeof Zod = lazyZ;

// The type side of `z` (z.infer<typeof schema>, z.ZodObject ...), which a const alone does not carry.
export declare namespace z {
  export type infer<T> = Zod.infer<T>;
  export type input<T> = Zod.input<T>;
  export type output<T> = Zod.output<T>;
  export type ZodType<O = unknown, I = unknown> = Zod.ZodType<O, I>;
  export type ZodTypeAny = Zod.ZodTypeAny;
  export type ZodObject<
    S extends Zod.core.$ZodShape = Zod.core.$ZodLooseShape,
    C extends Zod.core.$ZodObjectConfig = Zod.core.$strip,
  > = Zod.ZodObject<S, C>;
  export type ZodRawShape = Zod.ZodRawShape;
  export type ZodError<T = unknown> = Zod.ZodError<T>;
  export type ZodIssue = Zod.core.$ZodIssue;
}
