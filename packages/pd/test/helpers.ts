import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { L2Logger } from "@x/l2-core";

const here = dirname(fileURLToPath(import.meta.url));
export const fixture = (name: string) => join(here, "fixtures", name);

export const quietLogger: L2Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that remembers warnings, for assertions. */
export function recordingLogger(): L2Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...quietLogger, warnings, warn: (m, d) => warnings.push(`${m} ${JSON.stringify(d ?? {})}`) };
}

/** A port that was free a moment ago (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function checkChildrenCanRun(): void {
  if (!existsSync(join(here, "..", "dist", "index.js"))) {
    throw new Error(
      "packages/pd/dist is missing: child processes import the built package; run pnpm turbo run build --filter=@x/l2-pd...",
    );
  }
}

/** A child node process with line-wise JSON output. */
export class Child {
  readonly process: ChildProcess;
  readonly #lines: unknown[] = [];
  readonly #waiters: ((line: unknown) => void)[] = [];
  readonly exited: Promise<number | null>;
  stderr = "";

  constructor(script: string, args: string[]) {
    this.process = spawn(process.execPath, [fixture(script), ...args], {
      cwd: join(here, ".."),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.process.once("exit", (code) => resolve(code)));
    this.process.stderr!.on("data", (d) => {
      this.stderr += String(d);
    });
    createInterface({ input: this.process.stdout! }).on("line", (line) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return;
      }
      const waiter = this.#waiters.shift();
      if (waiter) waiter(value);
      else this.#lines.push(value);
    });
  }

  /** The next JSON line; rejects when the child exits first or after `timeoutMs`. */
  next<T = Record<string, unknown>>(timeoutMs = 30_000): Promise<T> {
    if (this.#lines.length) return Promise.resolve(this.#lines.shift() as T);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`child printed nothing in ${timeoutMs} ms; stderr: ${this.stderr}`)),
        timeoutMs,
      );
      this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) before printing; stderr: ${this.stderr}`));
      });
      this.#waiters.push((line) => {
        clearTimeout(timer);
        resolve(line as T);
      });
    });
  }

  send(line: string): void {
    this.process.stdin!.write(`${line}\n`);
  }

  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGKILL");
    await this.exited;
  }
}
