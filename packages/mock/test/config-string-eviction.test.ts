import { describeConfigStringEviction } from "@x/l2-testkit";

describeConfigStringEviction({
  name: "mock",
  configString: (capacity) =>
    JSON.stringify({
      type: "mock",
      max_size_gb: capacity / 2 ** 30,
      mock_bandwidth_gb: 64,
      eviction: { eviction_policy: "LRU" },
    }),
});
