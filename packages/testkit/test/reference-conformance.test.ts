import { describeL2AdapterConformance } from "../src/index.js";
import { FaultyAdapter } from "./support/faulty-adapter.js";

// The fault-free reference adapter (written straight against the L2Adapter interface) must pass every
// rule, through the same vitest registration adapter authors use. Adapter packages (mock, fs, the
// example) run the kit on themselves; the kit does not depend on any of them.
describeL2AdapterConformance({
  name: "reference adapter (FaultyAdapter without a fault)",
  create: () => new FaultyAdapter(),
});
