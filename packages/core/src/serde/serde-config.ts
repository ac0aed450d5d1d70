import type { z } from "zod";
import { loadZod } from "../config/zod.js";
import { L2Error } from "../errors.js";

/** Serde types that run here: byte transforms that need nothing but the chunk's bytes and key. */
export const SUPPORTED_SERDE_TYPES = ["checksum", "aesgcm", "encrypt"] as const;
export type SerdeTypeName = (typeof SUPPORTED_SERDE_TYPES)[number];

/**
 * LMCache serde types that quantize or re-encode tensors: they need the chunk's tensor layout (shapes and
 * dtypes), which an L2 of opaque byte objects does not have.
 */
export const TENSOR_SERDE_TYPES = ["fp8", "turboquant", "cachegen", "asym_k16_v8"] as const;

interface SerdeBase {
  /** LMCache's serde thread-pool size; accepted for compatibility, transforms here run on the event loop in slices. */
  readonly maxWorkers: number;
  /** Delete an object whose frame fails validation, so the next store repairs it. */
  readonly deleteCorrupt: boolean;
}

export interface ChecksumSerdeConfig extends SerdeBase {
  readonly type: "checksum";
}

export interface AesGcmSerdeConfig extends SerdeBase {
  /** `aesgcm`, or `encrypt` (LMCache's earlier name: same frame, its own HKDF info prefix). */
  readonly type: "aesgcm" | "encrypt";
  readonly keyProvider: "hkdf";
  readonly masterKeyPath: string;
  readonly aesBits: 128 | 256;
  /** Authenticate the object key as AAD, so a frame copied under another key never decrypts (not LMCache-readable). */
  readonly bindKey: boolean;
}

/** The parsed `serde` block shared by every adapter type; `raw` is the JSON object as given. */
export type SerdeConfig = (ChecksumSerdeConfig | AesGcmSerdeConfig) & {
  readonly raw: Readonly<Record<string, unknown>>;
};

/** zod schemas of the serde kwargs, built on first use (importing core must not load zod). */
function buildSchemas() {
  const z = loadZod();
  const maxWorkers = z
    .number()
    .int({ message: "must be a positive integer" })
    .positive({ message: "must be a positive integer" })
    .default(1)
    .describe(
      "LMCache's serde thread-pool size; accepted for compatibility (transforms run in 1 MiB slices)",
    );
  const deleteCorrupt = z
    .boolean()
    .default(true)
    .describe("delete an object whose frame fails validation, so the next store repairs it");
  const keyProvider = z
    .literal("hkdf", {
      message:
        'must be "hkdf" (the only key provider offered; the "keyring" name LMCache reserves is refused)',
    })
    .default("hkdf")
    .describe("(aesgcm) where keys come from: HKDF-SHA256 of the master key, per cache salt");
  const masterKeyPath = z
    .string({ message: "must be the path of the master-key file" })
    .min(1, { message: "must be the path of the master-key file" })
    .describe(
      "(aesgcm, required) master-key file; its raw bytes are the key; must not be readable by others",
    );
  const aesBits = z
    .union([z.literal(128), z.literal(256)], { message: "must be 128 or 256" })
    .default(128)
    .describe("(aesgcm) AES key size");
  const bindKey = z
    .boolean()
    .default(false)
    .describe(
      "(aesgcm) authenticate the object key too, so a copied frame is a miss (LMCache cannot read such frames)",
    );

  const checksumSchema = z.strictObject({
    type: z.literal("checksum"),
    max_workers: maxWorkers,
    delete_corrupt: deleteCorrupt,
  });
  const aesGcmSchema = z.strictObject({
    type: z.enum(["aesgcm", "encrypt"]),
    key_provider: keyProvider,
    master_key_path: masterKeyPath,
    aes_bits: aesBits,
    max_workers: maxWorkers,
    delete_corrupt: deleteCorrupt,
    bind_key: bindKey,
  });

  /**
   * The documented shape of the shared `serde` key (LMCache's: an object with a string `type`, the other keys
   * being that serde's kwargs). Loose on purpose: the per-type rules run in `parseSerdeConfig`.
   */
  const serde = z
    .looseObject({
      type: z
        .string({ message: "must be a string naming the serde" })
        .min(1, { message: "must be a string naming the serde" })
        .describe(
          `serde type: ${SUPPORTED_SERDE_TYPES.join(" | ")} (${TENSOR_SERDE_TYPES.join(", ")} need tensor layouts and are refused)`,
        ),
      key_provider: keyProvider.optional(),
      master_key_path: masterKeyPath.optional(),
      aes_bits: aesBits.optional(),
      bind_key: bindKey.optional(),
      max_workers: maxWorkers.optional(),
      delete_corrupt: deleteCorrupt.optional(),
    })
    .describe(
      "per-chunk frame around every stored object (LMCache's serde): checksum = version, chunk fingerprint and xxh3_64; aesgcm = AES-GCM per cache salt; absent = raw bytes",
    );
  return { checksumSchema, aesGcmSchema, serde };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;
const serdeSchemas = () => (schemas ??= buildSchemas());

/**
 * The documented shape of the shared `serde` key (LMCache's: an object with a string `type`, the other keys
 * being that serde's kwargs). Loose on purpose: the per-type rules run in `parseSerdeConfig`.
 */
export function serdeSchema() {
  return serdeSchemas().serde;
}

export const DEFAULT_AFFINITY_TAG = "_default";

/** `affinity_tag`: LMCache's L1 tier name, carried for compatibility. */
export function affinityTagSchema() {
  const z = loadZod();
  return z
    .string({ message: "must be a non-empty string naming an L1 tier" })
    .min(1, { message: "must be a non-empty string naming an L1 tier" })
    .default(DEFAULT_AFFINITY_TAG)
    .describe(
      "name of the L1 tier this adapter is bound to (LMCache's affinity_tag); carried, not used by L2",
    );
}

/**
 * Turns the raw `serde` object into a typed config. Unknown kwargs and bad values are CONFIG_INVALID naming
 * `serde.<kwarg>`; LMCache's tensor serdes are NOT_SUPPORTED at parse time, with the reason.
 */
export function parseSerdeConfig(raw: unknown, adapterType: string): SerdeConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new L2Error("CONFIG_INVALID", `field "serde": must be an object like {"type":"checksum"}`, {
      adapterType,
      field: "serde",
    });
  }
  const record = raw as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== "string" || type.length === 0) {
    throw new L2Error(
      "CONFIG_INVALID",
      `field "serde.type": must be a string naming the serde (${SUPPORTED_SERDE_TYPES.join(", ")})`,
      {
        adapterType,
        field: "serde.type",
      },
    );
  }
  if ((TENSOR_SERDE_TYPES as readonly string[]).includes(type)) {
    throw new L2Error(
      "NOT_SUPPORTED",
      `serde type "${type}" is not supported: it transforms KV tensors and needs the chunk's tensor layout (shapes, dtypes), which an L2 of opaque byte objects does not have`,
      { adapterType, field: "serde.type", hint: `use "checksum" or "aesgcm", or drop "serde"` },
    );
  }
  const { checksumSchema, aesGcmSchema } = serdeSchemas();
  const schema =
    type === "checksum" ? checksumSchema : type === "aesgcm" || type === "encrypt" ? aesGcmSchema : undefined;
  if (!schema) {
    throw new L2Error(
      "CONFIG_INVALID",
      `field "serde.type": unknown serde type ${JSON.stringify(type)}; supported: ${SUPPORTED_SERDE_TYPES.join(", ")}`,
      { adapterType, field: "serde.type" },
    );
  }
  const parsed = schema.safeParse(record);
  if (!parsed.success) throw serdeIssue(parsed.error, record, adapterType);
  const d = parsed.data as Record<string, any>;
  const base = {
    maxWorkers: d.max_workers,
    deleteCorrupt: d.delete_corrupt,
    raw: Object.freeze({ ...record }),
  };
  if (d.type === "checksum") return Object.freeze({ type: "checksum", ...base });
  return Object.freeze({
    type: d.type,
    keyProvider: d.key_provider,
    masterKeyPath: d.master_key_path,
    aesBits: d.aes_bits,
    bindKey: d.bind_key,
    ...base,
  });
}

function serdeIssue(error: z.ZodError, record: Record<string, unknown>, adapterType: string): L2Error {
  const issue = error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const { checksumSchema, aesGcmSchema } = serdeSchemas();
    const valid = Object.keys((record.type === "checksum" ? checksumSchema : aesGcmSchema).shape);
    return new L2Error(
      "CONFIG_INVALID",
      `unknown key "serde.${key}" for serde type "${String(record.type)}"; valid keys: ${valid.join(", ")}`,
      { adapterType, field: `serde.${key}` },
    );
  }
  const field = `serde.${issue.path.map(String).join(".")}`;
  const value = record[String(issue.path[0])];
  const text =
    value === undefined
      ? `is required (${issue.message.replace(/^Invalid input: /, "")})`
      : `${issue.message.replace(/^Invalid input: /, "")} (got ${JSON.stringify(value)})`;
  return new L2Error("CONFIG_INVALID", `field "${field}": ${text}`, { adapterType, field, cause: error });
}
