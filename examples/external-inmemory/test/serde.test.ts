// The shared `serde` key on the third-party in-memory adapter: LMCache's checksum and aesgcm frames.
import { describeSerdeIntegrity } from "@x/l2-testkit";
import { inMemoryAdapterType } from "../src/index.js";

describeSerdeIntegrity({
  name: "inmemory",
  types: [inMemoryAdapterType],
  config: { type: "inmemory", max_size_gb: 0.01, mock_bandwidth_gb: 100 },
});
