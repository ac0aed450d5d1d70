import { describeConfigStringEviction } from "@x/l2-testkit";

// With an eviction block, the base's controller (LRU) makes room before the adapter's own FIFO would.
describeConfigStringEviction({
  name: "inmemory",
  configString: (capacity) =>
    JSON.stringify({
      type: "inmemory",
      max_size_gb: capacity / 2 ** 30,
      eviction: { eviction_policy: "LRU" },
    }),
});
