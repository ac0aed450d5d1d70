import type { L2Logger } from "@x/l2-core";
import type { FsL2AdapterConfig } from "./config.js";
import type { FsOps } from "./fs-ops.js";
import type { DirectIo } from "./odirect.js";
import { type FsLayout, prepareLayout } from "./paths.js";
import { type RecoveryResult, recoverDirectory } from "./recovery.js";

/**
 * What the adapter does before its first operation, in order: create and check the directories, learn the
 * block size for O_DIRECT, remove temp leftovers of dead writers and recover the key files already there.
 */
export async function startUp(
  ops: FsOps,
  config: FsL2AdapterConfig,
  direct: DirectIo,
  logger: L2Logger,
): Promise<{ layout: FsLayout; recovery: RecoveryResult }> {
  const layout = await prepareLayout(ops, config.basePath, config.relativeTmpDir);
  if (direct.requested) {
    const stat = await ops.statfs(layout.tempDir).catch(() => undefined);
    if (stat) direct.setBlockSize(stat.bsize);
  }
  const recovery = await recoverDirectory(ops, layout.baseDir, layout.tempDir, config.recoverOnStart, logger);
  if (recovery.tempRemoved > 0) {
    logger.info("removed temp files left by interrupted writers", { count: recovery.tempRemoved });
  }
  if (Math.floor(config.maxCapacityGb * 2 ** 30) > 0 && config.eviction === null) {
    logger.warn(
      "max_capacity_gb is set without an `eviction` block: nothing will be evicted, stores fail once " +
        'the capacity is reached; add "eviction": {"eviction_policy": "LRU"} to keep the cache turning over',
      { maxCapacityGb: config.maxCapacityGb },
    );
  }
  return { layout, recovery };
}
