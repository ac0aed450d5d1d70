import {
  Bitmap,
  createConsoleLogger,
  getDefaultL2AdapterRegistry,
  isL2Error,
  isObjectKey,
  type L2Adapter,
  type L2AdapterConfigBase,
  type L2AdapterListener,
  type L2AdapterRegistry,
  L2Error,
  L2EvictionController,
  type L2Logger,
  type ManagedL2Adapter,
  type ObjectKey,
  QuotaManager,
} from "@x/l2-core";
import { AdapterSlot } from "./adapter-slot.js";
import { HardQuota } from "./hard-quota.js";
import { HealthMonitor } from "./health-monitor.js";
import { KnownSizes } from "./known-sizes.js";
import { L1_EVICTION_POLICIES, type L1EvictionPolicyName } from "./l1/eviction-order.js";
import { L1Store } from "./l1/l1-store.js";
import { StorageMetrics, type StorageMetricsSnapshot, snapshotMetrics } from "./metrics.js";
import { PrefetchController } from "./prefetch-controller.js";
import { PROBE_MODEL } from "./probe.js";
import { StoreController } from "./store-controller.js";
import { STORE_POLICIES, type StorePolicyName } from "./store-policy.js";
import { TieredDemotion } from "./tiered.js";

/** One `--l2-adapter` entry: the JSON string, a parsed config, or the JSON-decoded dict. */
export type L2AdapterSpec = string | L2AdapterConfigBase | Readonly<Record<string, unknown>>;

export interface StorageManagerOptions {
  /** L1 capacity in bytes. */
  l1SizeBytes: number;
  /** L2 adapters in priority order (index 0 first). May be empty: L1 only. */
  l2: readonly L2AdapterSpec[];
  /** default | skip_l1 | striped | tiered (default "default"). */
  storePolicy?: StorePolicyName | undefined;
  /** Prefetch requests running at once; more wait in a queue (default 8, LMCache's). */
  prefetchMaxInFlight?: number | undefined;
  /** Deadline of one prefetch in ms; absent = wait for every load (LMCache's --l2-prefetch-load-timeout). */
  prefetchLoadTimeoutMs?: number | undefined;
  /** L1 eviction order (default "LRU"). */
  l1EvictionPolicy?: L1EvictionPolicyName | undefined;
  /**
   * Size of the object under a key, for loads into L1 (a load needs a target of exactly that size). Sizes
   * of keys put through this manager and recovered by the adapters are known anyway; this covers the rest,
   * e.g. a fixed chunk size after a restart.
   */
  objectSizeBytes?: number | ((key: ObjectKey) => number | undefined) | undefined;
  /** Byte quotas per cache salt for IsolatedLRU eviction: an object, or its JSON string. */
  quotas?: Readonly<Record<string, number>> | string | undefined;
  /** Also refuse a salt's store at admission when it would exceed its quota in that adapter. */
  hardQuota?: boolean | undefined;
  /** Consecutive failed calls that make an adapter unhealthy (default 3). */
  failureThreshold?: number | undefined;
  /** Period of the health check and of probes of unhealthy adapters, ms (default 1000). */
  probeIntervalMs?: number | undefined;
  /** Period of L2 eviction rounds, ms (default 1000; 0 = only on demand). */
  evictionIntervalMs?: number | undefined;
  /** Keys per background store call (default 32). */
  storeBatchKeys?: number | undefined;
  /** Store calls in flight per adapter (default 4). */
  storeMaxInFlight?: number | undefined;
  /** Registry used to parse and create adapters (default: the process-wide one). */
  registry?: L2AdapterRegistry | undefined;
  logger?: L2Logger | undefined;
}

export interface RemoveL2AdapterOptions {
  /** How long to wait for in-flight work to drain (default 30000, LMCache's). */
  timeoutMs?: number | undefined;
}

interface Resolved {
  l1SizeBytes: number;
  storePolicy: StorePolicyName;
  prefetchMaxInFlight: number;
  prefetchLoadTimeoutMs: number | undefined;
  l1EvictionPolicy: L1EvictionPolicyName;
  failureThreshold: number;
  probeIntervalMs: number;
  evictionIntervalMs: number;
  storeBatchKeys: number;
  storeMaxInFlight: number;
  quotas: QuotaManager | undefined;
  hardQuota: boolean;
}

/**
 * The tier that drives the L2 adapters, as LMCache's StorageManager: an L1 memory store, a store controller
 * that pushes new objects to L2 in the background, a prefetch controller that brings them back, one L2
 * eviction controller per adapter with an `eviction` block, and health-based failover across adapters.
 */
export class StorageManager {
  readonly storePolicy: StorePolicyName;
  readonly #o: Resolved;
  readonly #logger: L2Logger;
  readonly #registry: L2AdapterRegistry;
  /** The caller's logger, handed to adapters too; absent = each adapter logs under its own type. */
  readonly #adapterLogger: L2Logger | undefined;
  readonly #l1: L1Store;
  readonly #metrics: StorageMetrics;
  readonly #store: StoreController;
  readonly #prefetch: PrefetchController;
  readonly #health: HealthMonitor;
  readonly #sizes: KnownSizes;
  readonly #sizeOption: StorageManagerOptions["objectSizeBytes"];
  readonly #tiered: TieredDemotion | undefined;
  /** Attached adapters, priority order; draining ones stay here until closed. */
  #slots: AdapterSlot[] = [];
  #nextId = 0;
  readonly #listeners = new Set<L2AdapterListener>();
  #closing: Promise<void> | undefined;
  #lastPutWarning = 0;

  private constructor(options: StorageManagerOptions, resolved: Resolved) {
    this.#o = resolved;
    this.storePolicy = resolved.storePolicy;
    this.#logger = options.logger ?? createConsoleLogger("storage");
    this.#adapterLogger = options.logger;
    this.#registry = options.registry ?? getDefaultL2AdapterRegistry();
    this.#sizeOption = options.objectSizeBytes;
    this.#sizes = new KnownSizes();
    this.#l1 = new L1Store({
      capacityBytes: resolved.l1SizeBytes,
      policy: resolved.l1EvictionPolicy,
      onCommitted: (key) => this.#store.enqueue(key),
      onRemoved: (key, _size, evicted) => {
        this.#store.forget(key);
        if (evicted) this.#metrics.l1Evictions.inc();
      },
    });
    this.#metrics = new StorageMetrics(() => this.#l1Usage());
    const routing = () => this.#slots.filter((s) => s.state !== "draining");
    this.#tiered =
      resolved.storePolicy === "tiered"
        ? new TieredDemotion({
            slots: routing,
            l1: this.#l1,
            sizeOf: (key) => this.#sizeOf(key),
            metrics: this.#metrics,
            logger: this.#logger,
          })
        : undefined;
    this.#store = new StoreController({
      l1: this.#l1,
      slots: routing,
      policy: resolved.storePolicy,
      logger: this.#logger,
      batchKeys: resolved.storeBatchKeys,
      hardQuota: resolved.hardQuota && resolved.quotas ? new HardQuota(resolved.quotas) : undefined,
    });
    this.#prefetch = new PrefetchController({
      l1: this.#l1,
      slots: routing,
      maxInFlight: resolved.prefetchMaxInFlight,
      loadTimeoutMs: resolved.prefetchLoadTimeoutMs,
      sizeOf: (key) => this.#sizeOf(key),
      metrics: this.#metrics,
      logger: this.#logger,
      onLoaded: this.#tiered ? (slot, keys) => this.#tiered!.promote(slot, keys, this.#store) : undefined,
    });
    this.#health = new HealthMonitor({
      slots: () => this.#slots,
      intervalMs: resolved.probeIntervalMs,
      logger: this.#logger,
    });
  }

  /** Validates the options, creates every adapter in order (closing those made so far if one fails). */
  static async open(options: StorageManagerOptions): Promise<StorageManager> {
    const resolved = resolveOptions(options);
    const specs = options.l2;
    if (!Array.isArray(specs)) {
      throw new L2Error("ARGUMENT_INVALID", "l2 must be an array of --l2-adapter JSON strings or configs", {
        field: "l2",
        hint: `pass [] for L1 only, or e.g. ['{"type":"fs","base_path":"/data/kv"}']`,
      });
    }
    const manager = new StorageManager(options, resolved);
    try {
      for (const [i, spec] of specs.entries()) await manager.#attach(spec, i + 1);
    } catch (error) {
      await manager.close().catch(() => {});
      throw error;
    }
    manager.#health.start();
    return manager;
  }

  /** Attached adapters: id, type and state, in priority order. */
  get adapters(): ReadonlyArray<{ id: number; type: string; state: string }> {
    return this.#slots.map((s) => ({ id: s.id, type: s.type, state: s.state }));
  }

  /** The adapter behind `id` (diagnostics and tests); undefined when not attached. */
  l2Adapter(id: number): L2Adapter | undefined {
    return this.#slots.find((s) => s.id === id)?.adapter;
  }

  /** The eviction controller of adapter `id`, when its config has `eviction`. */
  evictionController(id: number): L2EvictionController | undefined {
    return this.#slots.find((s) => s.id === id)?.evictionController;
  }

  /** The per-salt quotas shared by every IsolatedLRU adapter (undefined when none were given). */
  get quotas(): QuotaManager | undefined {
    return this.#o.quotas;
  }

  /**
   * Copies each object into L1 and returns; stores to L2 follow in the background. Bit i is set when keys[i]
   * is now held in L1 (already there counts). A key that finds no room among unlocked objects is not taken
   * and nothing already held is evicted for it.
   */
  put(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Bitmap {
    this.#checkOpen();
    checkBatch("put", keys, objects, "objects");
    const out = new Bitmap(keys.length);
    let rejected = 0;
    keys.forEach((key, i) => {
      const object = objects[i]!;
      this.#sizes.remember(key, object.byteLength);
      const r = this.#l1.reserveWrite(key, object.byteLength, false);
      if (r.status === "reserved") {
        r.buffer.set(object);
        this.#l1.finishWrite(key);
        out.set(i);
      } else if (r.status === "present" || r.status === "writing") {
        this.#l1.touch(key);
        out.set(i);
      } else rejected++;
    });
    this.#store.dispatchNow();
    if (rejected > 0) {
      this.#metrics.l1PutRejected.inc(rejected);
      // Under sustained pressure every put would log; once per 10 s is enough next to the counter.
      const now = Date.now();
      if (now - this.#lastPutWarning < 10_000) return out;
      this.#lastPutWarning = now;
      this.#logger.warn(
        "L1 full of locked or not-yet-stored objects; put refused keys (nothing held was evicted)",
        {
          refused: rejected,
          usedBytes: this.#l1.usedBytes,
          capacityBytes: this.#l1.capacityBytes,
        },
      );
    }
    return out;
  }

  /** Resolves when every background store started so far has settled. */
  flush(): Promise<void> {
    return this.#store.flush();
  }

  /** Brings keys into L1 from L2 where needed; resolves to the number of leading keys now held in L1. */
  prefetch(keys: readonly ObjectKey[]): Promise<number> {
    this.#checkOpen();
    checkKeys("prefetch", keys);
    return this.#prefetch.prefetch(keys);
  }

  /** Copies what L1 holds into `targets` (each exactly the object's size); bit i set for a hit. */
  get(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Bitmap {
    this.#checkOpen();
    checkBatch("get", keys, targets, "targets");
    const out = new Bitmap(keys.length);
    let hits = 0;
    keys.forEach((key, i) => {
      const bytes = this.#l1.bytesOf(key);
      const target = targets[i]!;
      if (!bytes || bytes.byteLength !== target.byteLength) return;
      target.set(bytes);
      this.#l1.touch(key);
      out.set(i);
      hits++;
    });
    if (hits > 0) this.#metrics.l1Hits.inc(hits);
    if (keys.length - hits > 0) this.#metrics.l1Misses.inc(keys.length - hits);
    return out;
  }

  /** Attaches one more adapter (lowest priority); returns its id. */
  async addL2Adapter(config: L2AdapterSpec): Promise<number> {
    this.#checkOpen();
    return (await this.#attach(config, undefined)).id;
  }

  /**
   * Stops routing to adapter `id`, waits until its in-flight work has drained, then closes it. On timeout it
   * rejects with TIMEOUT and the adapter stays attached, draining (call again to wait longer).
   */
  async removeL2Adapter(id: number, options: RemoveL2AdapterOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
      throw new L2Error(
        "ARGUMENT_INVALID",
        `timeoutMs must be a finite number >= 0, got ${String(timeoutMs)}`,
        {
          field: "timeoutMs",
        },
      );
    }
    const slot = this.#slots.find((s) => s.id === id);
    if (!slot) {
      throw new L2Error(
        "ARGUMENT_INVALID",
        `no L2 adapter with id ${String(id)}; attached: ${this.#slots.map((s) => s.id).join(", ") || "(none)"}`,
        { field: "id" },
      );
    }
    slot.startDraining();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      slot.idle().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      throw new L2Error(
        "TIMEOUT",
        `L2 adapter ${id} (${slot.type}) still has ${slot.busy} call(s) in flight after ${timeoutMs} ms; it stays draining`,
        { field: "timeoutMs", hint: "call removeL2Adapter again, with a longer timeoutMs" },
      );
    }
    await this.#detach(slot);
  }

  /** Registers a listener on every current and future adapter; returns its remover. */
  addL2Listener(listener: L2AdapterListener): () => void {
    this.#listeners.add(listener);
    for (const slot of this.#slots) slot.addListener(listener);
    return () => {
      this.#listeners.delete(listener);
      for (const slot of this.#slots) slot.removeListener(listener);
    };
  }

  /** Healthy only when every adapter is (AND), with every part's own status. */
  status(): Record<string, unknown> {
    const adapters = this.#slots.map((s) => s.status());
    const healthy =
      this.#closing === undefined &&
      adapters.every((a) => a.state !== "unhealthy" && (a.adapter as { healthy?: boolean }).healthy === true);
    return {
      healthy,
      closed: this.#closing !== undefined,
      storePolicy: this.storePolicy,
      numL2Adapters: this.#slots.length,
      l1: {
        ...this.#l1Usage(),
        policy: this.#l1.policy,
        readLocks: this.#l1.readLocks,
        writeLocks: this.#l1.writeLocks,
      },
      store: this.#store.status(),
      prefetch: this.#prefetch.status(),
      quotas: this.#o.quotas
        ? { hard: this.#o.hardQuota, limits: Object.fromEntries(this.#o.quotas.entries()) }
        : null,
      adapters,
    };
  }

  /** JSON snapshot of every metric, per adapter id; with `{ format: "prometheus" }` the text format. */
  metrics(): Promise<StorageMetricsSnapshot>;
  metrics(options: { format: "prometheus" }): Promise<string>;
  metrics(options?: { format?: "json" | "prometheus" }): Promise<StorageMetricsSnapshot | string> {
    if (options?.format === "prometheus") return this.#metrics.prometheusText();
    return snapshotMetrics(
      this.#metrics,
      this.#l1Usage(),
      this.#slots.map((s) => ({ id: s.id, type: s.type })),
    );
  }

  /** The prom-client registry of this manager, to merge into an application's own. */
  get metricsRegistry(): StorageMetrics["registry"] {
    return this.#metrics.registry;
  }

  /**
   * Stops the controllers (prefetches answered or drained, started stores settled), then closes the adapters,
   * then drops L1. Idempotent. Call flush() first if queued stores must reach L2.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#health.stop();
      await this.#prefetch.close();
      await this.#store.close();
      await this.#tiered?.close();
      for (const slot of [...this.#slots]) await this.#detach(slot);
      this.#l1.clear();
    })();
    return this.#closing;
  }

  // ---- internals -----------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closing) throw new L2Error("ADAPTER_CLOSED", "the storage manager is closed");
  }

  #l1Usage() {
    return {
      usedBytes: this.#l1.usedBytes,
      capacityBytes: this.#l1.capacityBytes,
      objects: this.#l1.objectCount,
    };
  }

  #sizeOf(key: ObjectKey): number | undefined {
    const known = this.#l1.sizeOf(key) ?? this.#sizes.get(key);
    if (known !== undefined) return known;
    const option = this.#sizeOption;
    if (typeof option === "number") return option;
    return option?.(key);
  }

  async #parse(spec: L2AdapterSpec, position: number | undefined): Promise<L2AdapterConfigBase> {
    const where = position === undefined ? "addL2Adapter" : `l2[${position - 1}]`;
    if (typeof (spec as L2AdapterConfigBase)?.toDict === "function") return spec as L2AdapterConfigBase;
    let dict: unknown = spec;
    if (typeof spec === "string") {
      try {
        dict = JSON.parse(spec);
      } catch (error) {
        throw new L2Error("CONFIG_INVALID", `${where}: invalid JSON: ${(error as Error).message}`, {
          position,
          field: "l2",
          cause: error,
          hint: `pass a JSON object such as '{"type":"fs","base_path":"/data/kv"}'`,
        });
      }
    }
    return this.#registry.parseConfig(dict, position);
  }

  async #attach(spec: L2AdapterSpec, position: number | undefined): Promise<AdapterSlot> {
    const config = await this.#parse(spec, position);
    const eviction = config.eviction && config.eviction.policy !== "noop" ? config.eviction : null;
    // Core attaches the eviction controller named by a config string. The manager attaches its own only
    // where core's cannot do the job: per-salt quotas (IsolatedLRU with this manager's QuotaManager) and
    // tiered demotion (the controller must delete through the demoting view).
    const ownEviction =
      eviction !== null &&
      (this.#tiered !== undefined || (eviction.policy === "IsolatedLRU" && !!this.#o.quotas));
    const createFrom = ownEviction ? await this.#withoutEviction(config, position) : config;
    const adapter = await this.#registry.create(
      createFrom,
      this.#adapterLogger ? { logger: this.#adapterLogger } : {},
    );
    const id = this.#nextId++;
    const slot = new AdapterSlot({
      id,
      adapter,
      config,
      metrics: this.#metrics,
      logger: this.#logger,
      failureThreshold: this.#o.failureThreshold,
      storeMaxInFlight: this.#o.storeMaxInFlight,
    });
    // Sizes the adapter already knows (files recovered at start) make a restart's prefetch possible.
    const recovered = (
      adapter as Partial<{ recoveredEntries(): readonly { key: ObjectKey; sizeBytes: number }[] }>
    ).recoveredEntries;
    if (typeof recovered === "function") {
      try {
        for (const e of recovered.call(adapter)) this.#sizes.remember(e.key, e.sizeBytes);
      } catch (error) {
        this.#logger.warn("could not read recovered entries", { adapter: id, error: String(error) });
      }
    }
    slot.disposers.push(
      adapter.addListener({
        onKeysStored: (keys, sizes) =>
          keys.forEach((k, i) => {
            if (k.modelName !== PROBE_MODEL) this.#sizes.remember(k, sizes[i] ?? 0);
          }),
        onKeysDeleted: (keys) => {
          const evicted = keys.filter((k) => k.modelName !== PROBE_MODEL).length;
          if (evicted > 0) this.#metrics.l2Evictions.inc(slot.labels, evicted);
        },
      }),
    );
    for (const listener of this.#listeners) slot.addListener(listener);
    if (ownEviction && eviction) {
      const target = this.#tiered ? this.#tiered.evictionView(slot) : adapter;
      slot.attachEviction(
        new L2EvictionController(target, {
          eviction,
          quotas: this.#o.quotas,
          intervalMs: this.#o.evictionIntervalMs,
          logger: this.#logger,
        }),
        true,
      );
    } else {
      const attached = (adapter as Partial<ManagedL2Adapter>).evictionController;
      if (attached) slot.attachEviction(attached, false);
    }
    this.#slots.push(slot);
    this.#logger.info("L2 adapter attached", { id, type: slot.type, position });
    return slot;
  }

  /** The same config without its `eviction` block, so core does not attach a second controller. */
  async #withoutEviction(
    config: L2AdapterConfigBase,
    position: number | undefined,
  ): Promise<L2AdapterConfigBase> {
    const dict = config.toDict();
    delete dict.eviction;
    return this.#registry.parseConfig(dict, position);
  }

  async #detach(slot: AdapterSlot): Promise<void> {
    slot.startDraining();
    // A controller core attached is closed with its adapter; one the manager attached is closed here.
    if (slot.ownsEviction) await slot.evictionController?.close();
    slot.dispose();
    try {
      await slot.adapter.close();
    } catch (error) {
      this.#logger.warn("L2 adapter close failed", { adapter: slot.id, error: String(error) });
    }
    this.#slots = this.#slots.filter((s) => s !== slot);
  }
}

// ---- option checks ----------------------------------------------------------------------------------

function resolveOptions(options: StorageManagerOptions): Resolved {
  if (typeof options !== "object" || options === null) {
    throw new L2Error("ARGUMENT_INVALID", "StorageManager.open needs an options object { l1SizeBytes, l2 }");
  }
  const int = (field: string, value: unknown, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || (value as number) < min) {
      throw new L2Error("ARGUMENT_INVALID", `${field} must be an integer >= ${min}, got ${String(value)}`, {
        field,
      });
    }
    return value as number;
  };
  if (!Number.isSafeInteger(options.l1SizeBytes) || options.l1SizeBytes <= 0) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `l1SizeBytes must be a positive integer number of bytes, got ${String(options.l1SizeBytes)}`,
      { field: "l1SizeBytes", hint: "e.g. l1SizeBytes: 4 * 2 ** 30 for 4 GiB" },
    );
  }
  const storePolicy = options.storePolicy ?? "default";
  if (!STORE_POLICIES.includes(storePolicy)) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `storePolicy must be one of ${STORE_POLICIES.join(", ")}, got ${JSON.stringify(storePolicy)}`,
      { field: "storePolicy" },
    );
  }
  const l1EvictionPolicy = options.l1EvictionPolicy ?? "LRU";
  if (!L1_EVICTION_POLICIES.includes(l1EvictionPolicy)) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `l1EvictionPolicy must be one of ${L1_EVICTION_POLICIES.join(", ")}, got ${JSON.stringify(l1EvictionPolicy)}`,
      { field: "l1EvictionPolicy" },
    );
  }
  const timeout = options.prefetchLoadTimeoutMs;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `prefetchLoadTimeoutMs must be a finite number > 0 (ms), got ${String(timeout)}; omit it for no deadline`,
      { field: "prefetchLoadTimeoutMs" },
    );
  }
  const size = options.objectSizeBytes;
  if (size !== undefined && typeof size !== "function" && !(Number.isSafeInteger(size) && size > 0)) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `objectSizeBytes must be a positive integer or a function (key) => size, got ${String(size)}`,
      { field: "objectSizeBytes" },
    );
  }
  return {
    l1SizeBytes: options.l1SizeBytes,
    storePolicy,
    l1EvictionPolicy,
    prefetchMaxInFlight: int("prefetchMaxInFlight", options.prefetchMaxInFlight, 8, 1),
    prefetchLoadTimeoutMs: timeout,
    failureThreshold: int("failureThreshold", options.failureThreshold, 3, 1),
    probeIntervalMs: int("probeIntervalMs", options.probeIntervalMs, 1000, 1),
    evictionIntervalMs: int("evictionIntervalMs", options.evictionIntervalMs, 1000, 0),
    storeBatchKeys: int("storeBatchKeys", options.storeBatchKeys, 32, 1),
    storeMaxInFlight: int("storeMaxInFlight", options.storeMaxInFlight, 4, 1),
    quotas: parseQuotas(options.quotas),
    hardQuota: options.hardQuota === true,
  };
}

function parseQuotas(value: StorageManagerOptions["quotas"]): QuotaManager | undefined {
  if (value === undefined) return undefined;
  let dict: unknown = value;
  if (typeof value === "string") {
    try {
      dict = JSON.parse(value);
    } catch (error) {
      throw new L2Error("CONFIG_INVALID", `quotas: invalid JSON: ${(error as Error).message}`, {
        field: "quotas",
        hint: `e.g. '{"tenant-a": 1073741824, "": 536870912}' (bytes per cache salt)`,
      });
    }
  }
  if (typeof dict !== "object" || dict === null || Array.isArray(dict)) {
    throw new L2Error("CONFIG_INVALID", "quotas must map cache salts to byte limits", {
      field: "quotas",
      hint: `e.g. {"tenant-a": 1073741824}`,
    });
  }
  try {
    return new QuotaManager(dict as Record<string, number>);
  } catch (error) {
    if (isL2Error(error))
      throw new L2Error("CONFIG_INVALID", `quotas: ${error.message}`, { field: "quotas" });
    throw error;
  }
}

function checkKeys(op: string, keys: readonly ObjectKey[]): void {
  if (!Array.isArray(keys))
    throw new L2Error("ARGUMENT_INVALID", `${op}: keys must be an array of ObjectKey`, { field: "keys" });
  keys.forEach((key, i) => {
    if (!isObjectKey(key)) {
      throw new L2Error("ARGUMENT_INVALID", `${op}: keys[${i}] is not an ObjectKey`, { field: `keys[${i}]` });
    }
  });
}

function checkBatch(
  op: string,
  keys: readonly ObjectKey[],
  buffers: readonly Uint8Array[],
  name: string,
): void {
  checkKeys(op, keys);
  if (!Array.isArray(buffers) || buffers.length !== keys.length) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `${op}: ${name} must be an array with one Uint8Array per key (${keys.length})`,
      {
        field: name,
      },
    );
  }
  buffers.forEach((b, i) => {
    if (!(b instanceof Uint8Array)) {
      throw new L2Error("ARGUMENT_INVALID", `${op}: ${name}[${i}] is not a Uint8Array`, {
        field: `${name}[${i}]`,
      });
    }
  });
}
