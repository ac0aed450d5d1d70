/**
 * What a plugin's `module_path` names. Package names are resolved from the application root like any
 * dependency; file paths and URLs load whatever file they point at, so they need explicit permission.
 */
export type ModuleSpecifier =
  | { readonly kind: "package"; readonly packageName: string; readonly subpath: string }
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "url"; readonly url: string };

// npm package names (lowercase, optionally scoped), plus an optional subpath: "pkg", "@scope/pkg/sub".
const PACKAGE = /^(?<name>(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*)(?<rest>\/[^\\]*)?$/;
// A URL scheme of two or more letters, so Windows drive letters ("C:\x") are not URLs.
const URL_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]+:/;
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;

export function parseModuleSpecifier(value: string): ModuleSpecifier | undefined {
  if (value.length === 0 || value.trim() !== value) return undefined;
  if (
    value.startsWith("/") ||
    value.startsWith("./") ||
    value.startsWith("../") ||
    value.startsWith("\\") ||
    value === "." ||
    value === ".." ||
    value.startsWith(".\\") ||
    value.startsWith("..\\") ||
    WINDOWS_DRIVE.test(value)
  ) {
    return { kind: "path", path: value };
  }
  if (URL_SCHEME.test(value)) return { kind: "url", url: value };
  const match = PACKAGE.exec(value);
  if (!match?.groups) return undefined;
  const rest = match.groups.rest;
  if (
    rest !== undefined &&
    (rest === "/" || rest.split("/").some((s, i) => i > 0 && (s === "" || s === "." || s === "..")))
  ) {
    return undefined;
  }
  return { kind: "package", packageName: match.groups.name!, subpath: rest ? `.${rest}` : "." };
}

export const MODULE_SPECIFIER_HELP =
  'an installed package name such as "my-l2-adapter" or "@scope/pkg/subpath" (file paths and URLs only when module paths are allowed)';
