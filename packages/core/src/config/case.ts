/** snake_case JSON key → camelCase TypeScript property, at the type level. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

export type CamelCased<T> = { readonly [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

export function toCamelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
