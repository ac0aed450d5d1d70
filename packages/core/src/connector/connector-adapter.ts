import type { KeyListPage, L2AdapterContext, ListKeysOptions, OperationOptions } from "../adapter.js";
import { L2AdapterBase } from "../adapter-base.js";
import type { LoadOutcome, LookupResult, StoreOutcome } from "../adapter-hooks.js";
import { Bitmap } from "../bitmap.js";
import type { L2AdapterConfigBase } from "../config/config-base.js";
import { isL2Error, L2Error } from "../errors.js";
import type { ObjectKey } from "../object-key.js";
import type { L2Connector, L2ConnectorSpec } from "./connector.js";

/** The bridge: turns an {@link L2Connector} (batch get / set / exists / delete) into a full adapter. */
export class L2ConnectorAdapter<C extends L2AdapterConfigBase = L2AdapterConfigBase> extends L2AdapterBase {
  readonly config: C;
  readonly #spec: L2ConnectorSpec<C>;
  readonly #context: L2AdapterContext;
  #connector: L2Connector | undefined;

  /** `context` defaults: the config's type name, a console logger. */
  constructor(config: C, context: Partial<L2AdapterContext>, spec: L2ConnectorSpec<C>) {
    const typeName = context.typeName ?? config.type;
    super({
      type: typeName,
      logger: context.logger,
      capacityBytes: spec.capacityBytes ? spec.capacityBytes(config) : 0,
    });
    this.config = config;
    this.#spec = spec;
    this.#context = { ...context, typeName, logger: this.logger };
  }

  /** The backend, once start-up finished. */
  get connector(): L2Connector {
    if (!this.#connector) throw new L2Error("IO_FAILED", `${this.type} connector is not open yet`);
    return this.#connector;
  }

  protected override async _open(): Promise<void> {
    const connector = await this.#spec.open(this.config, { ...this.#context, closeSignal: this.closeSignal });
    for (const name of ["exists", "get", "set", "delete"] as const) {
      if (typeof connector?.[name] !== "function") {
        throw new L2Error("ADAPTER_INVALID", `the ${this.type} connector has no ${name}() function`, {
          adapterType: this.type,
          hint: "open() must return an object with exists, get, set and delete",
        });
      }
    }
    this.#connector = connector;
    if (connector.recover) {
      const entries = await connector.recover();
      const list = [];
      for await (const entry of entries as AsyncIterable<{ key: ObjectKey; sizeBytes: number }>)
        list.push(entry);
      this.recordRecoveredKeys(list);
    }
  }

  protected override async _lookup(
    keys: readonly ObjectKey[],
    options: OperationOptions,
  ): Promise<LookupResult> {
    const answers = await this.#call("exists", () => this.connector.exists(keys, options), keys.length);
    const found = new Bitmap(keys.length);
    const sizes: (number | undefined)[] = new Array(keys.length);
    answers?.forEach((answer, i) => {
      if (answer === undefined || answer === null || answer === false) return;
      found.set(i);
      if (typeof answer === "number") sizes[i] = answer;
    });
    return { found, sizes };
  }

  protected async _store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<StoreOutcome> {
    const stored = new Bitmap(keys.length);
    const todo: number[] = [];
    keys.forEach((key, i) => {
      if (this.indexedSizeOf(key) === objects[i]!.byteLength) stored.set(i);
      else todo.push(i);
    });
    const written = new Bitmap(keys.length);
    if (todo.length === 0) return { stored, written };
    try {
      const result = await this.connector.set(
        todo.map((i) => keys[i]!),
        todo.map((i) => objects[i]!),
        options,
      );
      todo.forEach((index, j) => {
        if (result && result[j] !== true) return;
        stored.set(index);
        written.set(index);
      });
      const error =
        stored.popcount() === keys.length
          ? undefined
          : new L2Error("IO_FAILED", `${this.type} connector did not store every key`, {
              adapterType: this.type,
            });
      return { stored, written, error };
    } catch (error) {
      return { stored, written, error: this.#wrap("set", error) };
    }
  }

  protected async _load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<LoadOutcome> {
    const loaded = new Bitmap(keys.length);
    const gone = new Bitmap(keys.length);
    const answers = await this.#call("get", () => this.connector.get(keys, targets, options), keys.length);
    answers?.forEach((answer, i) => {
      const target = targets[i]!;
      if (answer === true) loaded.set(i);
      else if (answer instanceof Uint8Array) {
        // A stored object of another size is a miss: a half-filled target must never look like a hit.
        if (answer.byteLength !== target.byteLength) return;
        if (answer !== target) target.set(answer);
        loaded.set(i);
      } else if (answer === undefined || answer === null) gone.set(i);
    });
    return { loaded, gone };
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<Bitmap> {
    const result = await this.connector.delete(keys);
    return result
      ? Bitmap.fromBooleans(keys.map((_, i) => result[i] === true))
      : new Bitmap(keys.length, keys.length);
  }

  protected override async _makeRoom(bytesNeeded: number): Promise<void> {
    const connector = this.#connector;
    if (!connector?.evict) return;
    const candidates = this.recoveredEntries().filter((entry) => !this.isKeyLocked(entry.key));
    const victims = connector.evict(bytesNeeded, candidates);
    if (victims.length > 0) await this.delete(victims);
  }

  protected override _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return this.#connector?.list ? this.#connector.list(options) : super._listKeys(options);
  }

  protected override async _close(): Promise<void> {
    await this.#connector?.close?.();
  }

  protected override _status(): Record<string, unknown> {
    return this.#connector?.status?.() ?? {};
  }

  protected override _healthy(): boolean {
    return this.#connector !== undefined && (this.#connector.healthy?.() ?? true);
  }

  /** A failing lookup or load is a batch of misses (logged), never a rejection. */
  async #call<T>(
    name: string,
    fn: () => Promise<readonly T[]>,
    size: number,
  ): Promise<readonly T[] | undefined> {
    try {
      const answers = await fn();
      if (!Array.isArray(answers) || answers.length !== size) {
        throw new L2Error(
          "ADAPTER_INVALID",
          `${this.type} connector ${name}() must return one answer per key`,
        );
      }
      return answers;
    } catch (error) {
      this.logger.warn(`${name}() failed; treated as misses`, { error: String(error) });
      return undefined;
    }
  }

  #wrap(name: string, error: unknown): L2Error {
    if (isL2Error(error)) return error;
    return new L2Error("IO_FAILED", `${this.type} connector ${name}() failed: ${String(error)}`, {
      adapterType: this.type,
      cause: error,
    });
  }
}
