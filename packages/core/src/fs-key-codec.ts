import { L2Error } from "./errors.js";
import { ObjectKey } from "./object-key.js";

/** LMCache maps "/" in model names to this token so a key is one path component. */
export const FS_MODEL_SEPARATOR = "-SEP-";
export const FS_KEY_SUFFIX = ".data";

const RANK = /^0x[0-9a-f]{8}$/;
const GROUP = /^(?:0|[1-9a-f][0-9a-f]*)$/;
const HASH = /^(?:[0-9a-f]{2})+$/;

/**
 * File name of a key in LMCache's FS layout:
 * `<model, "/"→"-SEP-">@0x<kvRank, 8 hex>@<group hex>@<hash hex>[@<salt>].data`.
 * Throws KEY_INVALID for a model name that already contains "-SEP-", which could not be decoded back.
 */
export function encodeFsKey(key: ObjectKey): string {
  if (key.modelName.includes(FS_MODEL_SEPARATOR)) {
    throw new L2Error(
      "KEY_INVALID",
      `model name ${JSON.stringify(key.modelName)} contains "${FS_MODEL_SEPARATOR}", which the FS layout reserves for "/"`,
      { field: "modelName" },
    );
  }
  const model = key.modelName.replaceAll("/", FS_MODEL_SEPARATOR);
  const rank = `0x${key.kvRank.toString(16).padStart(8, "0")}`;
  const salt = key.cacheSalt === "" ? "" : `@${key.cacheSalt}`;
  return `${model}@${rank}@${key.objectGroupId.toString(16)}@${key.chunkHashHex}${salt}${FS_KEY_SUFFIX}`;
}

function build(model: string, rank: string, group: string, hash: string, salt: string): ObjectKey | null {
  if (!RANK.test(rank) || !GROUP.test(group) || !HASH.test(hash)) return null;
  try {
    return new ObjectKey({
      chunkHash: Buffer.from(hash, "hex"),
      modelName: model.replaceAll(FS_MODEL_SEPARATOR, "/"),
      kvRank: Number.parseInt(rank.slice(2), 16),
      objectGroupId: Number.parseInt(group, 16),
      cacheSalt: salt,
    });
  } catch {
    return null;
  }
}

/**
 * The key a file name stands for, or null when the name is not a key in canonical form. Four fields are
 * unsalted, five salted; a legacy three-field name (`<model>@0x<rank>@<hash>.data`) decodes as group 0.
 */
export function decodeFsKey(fileName: string): ObjectKey | null {
  if (typeof fileName !== "string" || !fileName.endsWith(FS_KEY_SUFFIX)) return null;
  const fields = fileName.slice(0, -FS_KEY_SUFFIX.length).split("@");
  let key: ObjectKey | null = null;
  // The name this key must have in canonical form (a legacy name is compared as its group-0 equivalent).
  let canonical = fileName;
  if (fields.length === 3) {
    const [model, rank, hash] = fields as [string, string, string];
    key = build(model, rank, "0", hash, "");
    canonical = `${model}@${rank}@0@${hash}${FS_KEY_SUFFIX}`;
  } else if (fields.length === 4 || fields.length === 5) {
    const [model, rank, group, hash, salt = ""] = fields as [string, string, string, string, string?];
    if (fields.length === 5 && salt === "") return null;
    key = build(model, rank, group, hash, salt);
  }
  if (key === null) return null;
  // Only canonical names are keys: any other spelling of the same key would be a second file for it.
  try {
    return encodeFsKey(key) === canonical ? key : null;
  } catch {
    return null;
  }
}

/** True when the name is a legacy three-field key name. */
export function isLegacyFsKeyName(fileName: string): boolean {
  return (
    fileName.endsWith(FS_KEY_SUFFIX) && fileName.split("@").length === 3 && decodeFsKey(fileName) !== null
  );
}
