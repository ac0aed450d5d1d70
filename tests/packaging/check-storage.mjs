// Runs inside the temporary application made by run.sh: @x/l2-storage from its tarball, with fs and mock.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kvRank, listL2AdapterTypes, ObjectKey, silentLogger } from "@x/l2-core";
import { runTieredWorkload, StorageManager } from "@x/l2-storage";

const types = await listL2AdapterTypes();
assert.equal(
  types.find((t) => t.type === "fault_inject")?.packageName,
  "@x/l2-storage",
  "fault_inject is discovered",
);

const base = mkdtempSync(join(tmpdir(), "x-l2-packaging-storage-"));
try {
  const keys = [0, 1, 2].map(
    (n) =>
      new ObjectKey({
        chunkHash: new Uint8Array([n, 7]),
        modelName: "pkg/model",
        kvRank: kvRank(1, 0, 1, 0),
      }),
  );
  const chunks = keys.map((_, i) => new Uint8Array(64 * 1024).fill(i + 1));
  const spec = JSON.stringify({ type: "fs", base_path: base });
  const first = await StorageManager.open({ l1SizeBytes: 1 << 20, l2: [spec], logger: silentLogger });
  assert.equal(first.put(keys, chunks).popcount(), 3);
  await first.flush();
  await first.close();
  // A fresh manager (empty L1) behind fault_inject over the same directory: fs recovers, prefetch loads.
  const second = await StorageManager.open({
    l1SizeBytes: 1 << 20,
    l2: [JSON.stringify({ type: "fault_inject", inner: JSON.parse(spec), gap_indices: [2] })],
    logger: silentLogger,
  });
  assert.equal(await second.prefetch(keys), 2, "fault_inject drops position 2 at load");
  const targets = keys.map(() => new Uint8Array(64 * 1024));
  assert.equal(second.get(keys, targets).toString(), "110");
  assert.ok(
    targets[1].every((b) => b === 2),
    "bytes come back intact",
  );
  assert.match(
    await second.metrics({ format: "prometheus" }),
    /x_l2_l2_hits_total\{adapter="0",type="fault_inject"\} 2/,
  );
  await second.close();

  const result = await runTieredWorkload({
    requests: 20,
    chunkSizeBytes: 16 * 1024,
    l2: [JSON.stringify({ type: "fs", base_path: join(base, "tiered") })],
    logger: silentLogger,
  });
  assert.equal(result.wrongBytes, 0);
  const bin = execFileSync(
    "npx",
    [
      "--no-install",
      "x-l2-tiered-bench",
      "--requests",
      "10",
      "--chunk-size",
      "16KiB",
      "--json",
      "--l2-adapter",
      JSON.stringify({ type: "fs", base_path: join(base, "bin") }),
    ],
    { encoding: "utf8" },
  );
  assert.equal(JSON.parse(bin).requests, 10);
  console.log(
    "storage: fault_inject discovered, restart + prefetch through fault_inject, tiered workload and its bin ok",
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}
