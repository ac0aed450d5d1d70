// The shared `serde` key on the mock adapter: LMCache's checksum and aesgcm frames around the real adapter.
import { describeSerdeIntegrity } from "@x/l2-testkit";
import { mockAdapterType } from "../src/index.js";

describeSerdeIntegrity({
  name: "mock",
  types: [mockAdapterType],
  config: { type: "mock", max_size_gb: 0.01, mock_bandwidth_gb: 100 },
});
