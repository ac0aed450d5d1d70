/** The package.json field an adapter package declares its types in. */
export const MANIFEST_FIELD = "x-l2";

/** What an adapter stores on; `x-l2 bench --baseline` compares it with the same medium's baseline. */
export const ADAPTER_MEDIA = ["memory", "file", "network"] as const;
export type AdapterMedium = (typeof ADAPTER_MEDIA)[number];

/**
 * `"x-l2": {"contract": 1, "adapters": {"<type>": "<exports subpath>"}, "media": {"<type>": "file"}}`;
 * `media` is optional per type.
 */
export interface AdapterManifest {
  contract: unknown;
  adapters: Record<string, string>;
  media: Record<string, AdapterMedium>;
}

const TYPE_NAME = /^[a-z][a-z0-9_-]*$/;

/** Validates the shape of the `x-l2` field; returns a reason string when it is malformed. */
export function checkManifest(value: unknown): AdapterManifest | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `"${MANIFEST_FIELD}" must be an object like {"contract":1,"adapters":{"<type>":"<exports subpath>"}}`;
  }
  const { contract, adapters, media = {} } = value as Record<string, unknown>;
  if (typeof adapters !== "object" || adapters === null || Array.isArray(adapters)) {
    return `"${MANIFEST_FIELD}.adapters" must map type names to exports subpaths`;
  }
  for (const [type, subpath] of Object.entries(adapters)) {
    if (typeof subpath !== "string" || !(subpath === "." || subpath.startsWith("./"))) {
      return `"${MANIFEST_FIELD}.adapters.${type}" must be an exports subpath such as "." or "./adapter"`;
    }
    if (!TYPE_NAME.test(type)) {
      return `"${MANIFEST_FIELD}.adapters" type name "${type}" must be lowercase letters, digits, "-" or "_"`;
    }
  }
  if (typeof media !== "object" || media === null || Array.isArray(media)) {
    return `"${MANIFEST_FIELD}.media" must map type names to one of ${ADAPTER_MEDIA.join(", ")}`;
  }
  for (const [type, medium] of Object.entries(media)) {
    if (!Object.hasOwn(adapters, type)) {
      return `"${MANIFEST_FIELD}.media.${type}" names a type that "${MANIFEST_FIELD}.adapters" does not declare`;
    }
    if (!ADAPTER_MEDIA.includes(medium as AdapterMedium)) {
      return `"${MANIFEST_FIELD}.media.${type}" must be one of ${ADAPTER_MEDIA.join(", ")}, got ${JSON.stringify(medium)}`;
    }
  }
  return {
    contract,
    adapters: adapters as Record<string, string>,
    media: media as Record<string, AdapterMedium>,
  };
}

/** Names of an application's direct dependencies, in package.json order (dev dependencies last, if asked). */
export function dependencyNames(appJson: Record<string, any>, includeDev = true): string[] {
  const names = new Set<string>();
  const fields = ["dependencies", "optionalDependencies", ...(includeDev ? ["devDependencies"] : [])];
  for (const field of fields) {
    const deps = appJson[field];
    if (deps && typeof deps === "object") for (const name of Object.keys(deps)) names.add(name);
  }
  return [...names];
}
