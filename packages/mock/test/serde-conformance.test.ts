// The shared conformance suite against the serde wrapper around the mock adapter: a wrapped adapter must
// keep every rule of the contract (sizes it reports are the inner adapter's, i.e. framed bytes).
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createL2AdapterRegistry, silentLogger } from "@x/l2-core";
import { describeL2AdapterConformance } from "@x/l2-testkit";
import { mockAdapterType } from "../src/index.js";

const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger, types: [mockAdapterType] });
const keyFile = join(mkdtempSync(join(tmpdir(), "x-l2-mock-serde-kit-")), "master.key");
writeFileSync(keyFile, "conformance master key, 32 bytes");
chmodSync(keyFile, 0o600);

// These cases expect reported sizes (bytesWritten, usage, listener and listing sizes) to equal the payload
// sizes; the wrapper reports the inner adapter's, which are frame sizes (payload + 17 or 29 bytes), as
// LMCache's SerdeL2AdapterWrapper does. Everything else in them is covered by the serde tests.
const FRAMED_SIZES = "sizes are the inner adapter's frame sizes (payload + serde overhead), as in LMCache";
const skip = Object.fromEntries(
  [
    "chunks.binary-sizes",
    "concurrency.same-key-usage-once",
    "delete.frees-usage",
    "keys.group-distinct",
    "keys.model-distinct",
    "keys.rank-distinct",
    "keys.salt-distinct",
    "list.pages-all-keys",
    "listener.deleted-event",
    "listener.stored-event",
    "store.restore-zero-bytes",
    "store.result-ok-bytes",
    "usage.never-negative",
    "usage.per-salt",
    "usage.restore-counted-once",
    "usage.snapshot-immutable",
  ].map((id) => [id, FRAMED_SIZES]),
);

for (const serde of [{ type: "checksum" }, { type: "aesgcm", master_key_path: keyFile }]) {
  describeL2AdapterConformance({
    name: `mock + serde ${serde.type}`,
    skip,
    create: () =>
      registry.create(
        { type: "mock", max_size_gb: 1, mock_bandwidth_gb: 64, serde },
        { logger: silentLogger },
      ),
  });
}
