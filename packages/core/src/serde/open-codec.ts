import { L2Error } from "../errors.js";
import type { L2Logger } from "../logger.js";
import { AesGcmCodec, hkdfSaltKeys } from "./aesgcm-codec.js";
import { ChecksumCodec } from "./checksum-codec.js";
import type { FrameCodec } from "./frame-codec.js";
import { readMasterKey } from "./master-key.js";
import type { SerdeConfig } from "./serde-config.js";
import { xxh3Digest } from "./xxh3.js";

/** Builds the codec of a parsed `serde` block: reads and checks the master key, loads the hash addon. */
export async function openSerdeCodec(
  config: SerdeConfig,
  adapterType: string,
  logger?: L2Logger,
): Promise<FrameCodec> {
  if (config.type === "checksum") {
    xxh3Digest(new Uint8Array(0)); // loads the addon now, so a missing one fails at creation
    return new ChecksumCodec();
  }
  if (config.keyProvider !== "hkdf") {
    throw new L2Error("CONFIG_INVALID", `field "serde.key_provider": must be "hkdf"`, {
      adapterType,
      field: "serde.key_provider",
    });
  }
  const masterKey = await readMasterKey(config.masterKeyPath, adapterType);
  if (masterKey.byteLength < config.aesBits / 8) {
    logger?.warn(
      "serde master key is shorter than the AES key it derives; use at least that many random bytes",
      {
        masterKeyPath: config.masterKeyPath,
        masterKeyBytes: masterKey.byteLength,
        aesBits: config.aesBits,
      },
    );
  }
  const codec = new AesGcmCodec({
    type: config.type,
    aesBits: config.aesBits,
    bindKey: config.bindKey,
    keyForSalt: hkdfSaltKeys(masterKey, config.type, config.aesBits),
  });
  masterKey.fill(0);
  return codec;
}
