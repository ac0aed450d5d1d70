import { defineL2AdapterConfig, z } from "@x/l2-core";

/** LMCache's `fault_inject` keys: `inner` (a full adapter spec), `rate` + `seed`, `gap_indices`, `drop_chunk_hashes`. */
export class FaultInjectL2AdapterConfig extends defineL2AdapterConfig(
  "fault_inject",
  z.object({
    inner: z
      .looseObject({
        type: z.string({ message: 'must name the wrapped adapter type, e.g. {"type":"fs",...}' }).min(1),
      })
      .describe("the wrapped adapter's full spec, with its own type, keys and eviction/persist settings"),
    rate: z
      .number({ message: "must be a number from 0 to 1" })
      .min(0, { message: "must be a number from 0 to 1" })
      .max(1, { message: "must be a number from 0 to 1" })
      .default(0)
      .describe("share of keys whose load fails, chosen by a stable hash of (seed, key)"),
    seed: z
      .number({ message: "must be an integer" })
      .int({ message: "must be an integer" })
      .default(0)
      .describe("seed of the per-key hash: the same seed drops the same keys in every run"),
    gap_indices: z
      .array(
        z
          .number({ message: "must be integers >= 0" })
          .int({ message: "must be integers >= 0" })
          .nonnegative({ message: "must be integers >= 0" }),
        { message: "must be a list of integers >= 0" },
      )
      .default([])
      .describe("positions within each load batch that always fail"),
    drop_chunk_hashes: z
      .array(
        z
          .string({ message: "must be hex strings" })
          .regex(/^(?:[0-9a-fA-F]{2})+$/, { message: "must be even-length hex strings (chunk hashes)" }),
        { message: "must be a list of hex chunk hashes" },
      )
      .default([])
      .describe("chunk hashes (hex) whose load always fails, in every run"),
  }),
  {
    summary:
      "test/diagnostic wrapper: chosen keys are present at lookup and fail at load (LMCache's fault_inject)",
    example: { inner: { type: "mock", max_size_gb: 1, mock_bandwidth_gb: 10 }, rate: 0.1, seed: 7 },
  },
) {}
