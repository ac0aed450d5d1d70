import { describeConfigStringEviction } from "@x/l2-testkit";

describeConfigStringEviction({
  name: "fs",
  configString: (capacity, dir) =>
    JSON.stringify({
      type: "fs",
      base_path: dir,
      max_capacity_gb: capacity / 2 ** 30,
      eviction: { eviction_policy: "LRU" },
    }),
});
