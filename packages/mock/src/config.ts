import { defineL2AdapterConfig, z } from "@x/l2-core";

const positive = () =>
  z.number({ message: "must be a number" }).positive({ message: "must be a positive number" });

/** LMCache's mock adapter config: both fields required and positive, sizes in GiB (2^30 bytes). */
export class MockL2AdapterConfig extends defineL2AdapterConfig(
  "mock",
  z.object({
    max_size_gb: positive().describe("capacity in GiB (2^30 bytes)"),
    mock_bandwidth_gb: positive().describe(
      "simulated bandwidth in GiB/s; each operation completes after bytes / bandwidth",
    ),
  }),
  {
    summary: "in-process reference adapter that keeps copies of chunks in memory and simulates bandwidth",
    example: { max_size_gb: 1, mock_bandwidth_gb: 10 },
  },
) {}
