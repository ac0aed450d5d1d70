import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  isL2AdapterTypeDefinition,
  type L2AdapterTypeDefinition,
  SUPPORTED_CONTRACTS,
} from "../adapter-type.js";
import { L2Error } from "../errors.js";
import type { DiscoveredType } from "./discovery.js";
import { resolvePackageEntry } from "./installed-package.js";
import { classifyImportError, incompatibleContract } from "./registry-errors.js";

/** Imports the entry a discovered package declares for `type` and checks it is that type's definition. */
export async function importAdapterType(found: DiscoveredType): Promise<L2AdapterTypeDefinition<any>> {
  const { pkg, info } = found;
  const { type } = info;
  if (info.error) throw new L2Error(info.error.code, info.error.message, { adapterType: type });
  const entry = info.entry ?? ".";
  const target = resolvePackageEntry(pkg.json, entry);
  if (!target) {
    throw new L2Error(
      "ADAPTER_INVALID",
      `adapter type "${type}": ${pkg.name} declares entry "${entry}" but its "exports" map does not export it`,
      { adapterType: type, hint: `add "${entry}" to the "exports" of ${pkg.name}` },
    );
  }
  const file = join(pkg.dir, target);
  let mod: Record<string, unknown>;
  try {
    mod = await import(/* webpackIgnore: true */ /* @vite-ignore */ pathToFileURL(file).href);
  } catch (error) {
    throw classifyImportError(error, type, pkg.name, file, pkg.dir);
  }
  const definition = mod.default;
  if (!isL2AdapterTypeDefinition(definition)) {
    throw new L2Error(
      "ADAPTER_INVALID",
      `adapter type "${type}": the default export of ${pkg.name}${entry === "." ? "" : entry.slice(1)} is not an adapter type definition`,
      { adapterType: type, hint: "export default defineL2AdapterType({ configClass, create })" },
    );
  }
  if (definition.type !== type) {
    throw new L2Error(
      "ADAPTER_INVALID",
      `adapter type "${type}": ${pkg.name} declares "${type}" in package.json but its definition is of type "${definition.type}"`,
      { adapterType: type },
    );
  }
  if (!SUPPORTED_CONTRACTS.includes(definition.contract)) {
    throw incompatibleContract(type, definition.contract, pkg.name);
  }
  return definition;
}
