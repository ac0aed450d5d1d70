/** Thrown when an adapter call does not settle in time: a hanging adapter fails its case, not the suite. */
export class ConformanceTimeoutError extends Error {
  constructor(label: string, ms: number) {
    super(
      `${label} did not settle within ${ms} ms; every adapter call must settle (calls after close() must reject with ADAPTER_CLOSED)`,
    );
    this.name = "ConformanceTimeoutError";
  }
}

/** Races `promise` against a timer that is always cleared, so a passing case leaves no timer behind. */
export function withTimeout<T>(promise: PromiseLike<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConformanceTimeoutError(label, ms)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}
