import { defineL2AdapterConfig, z } from "@x/l2-core";

const positiveNumber = () => z.number().positive({ message: "must be a positive number" });

/**
 * `{"type":"inmemory","max_size_gb":0.5,"mock_bandwidth_gb":10}`. Both keys are optional; sizes are GiB
 * (2^30 bytes), bandwidth GiB per second.
 */
export class InMemoryL2AdapterConfig extends defineL2AdapterConfig(
  "inmemory",
  z.object({
    max_size_gb: positiveNumber()
      .default(0.5)
      .describe("capacity in GiB (2^30 bytes); the oldest unlocked objects are evicted to make room"),
    mock_bandwidth_gb: positiveNumber()
      .default(10)
      .describe("simulated bandwidth in GiB/s: a store or load completes after bytes / bandwidth"),
  }),
  {
    summary: "keeps copies of chunks in process memory, evicting the oldest unlocked ones first (FIFO)",
    example: { max_size_gb: 1, mock_bandwidth_gb: 20 },
  },
) {}
