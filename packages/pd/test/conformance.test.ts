import { describeL2AdapterConformance } from "@x/l2-testkit";
import { PdL2AdapterConfig } from "../src/config.js";
import { PdReceiverAdapter } from "../src/receiver.js";

// Each case gets its own receiver on the in-process mock_memory channel (ports are only names there).
let nextPort = 20_000;

describeL2AdapterConformance({
  name: "pd receiver (mock_memory channel)",
  create: () => {
    const initPort = nextPort++;
    const allocPort = nextPort++;
    return PdReceiverAdapter.create(
      PdL2AdapterConfig.fromDict({
        role: "receiver",
        peer_host: "127.0.0.1",
        peer_init_port: [initPort],
        peer_alloc_port: [allocPort],
        transfer_channel: "mock_memory",
        buffer_size: 256 * 1024 * 1024,
        admission_timeout_ms: 50,
      }),
      { logger: { debug() {}, info() {}, warn() {}, error() {} } },
    );
  },
});
