// pd receiver in its own process for the benchmark; "clear" on stdin deletes every key.
import { createInterface } from "node:readline";
import { createPdAdapter, PdL2AdapterConfig } from "@x/l2-pd";

// Exit normally on kill so --cpu-prof can write its profile.
process.on("SIGTERM", () => process.exit(0));
const config = JSON.parse(process.argv[2]);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const receiver = await createPdAdapter(PdL2AdapterConfig.fromDict(config), { logger: quiet });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "clear") {
    let cursor;
    do {
      const page = await receiver.listKeys({ pageSize: 10_000, cursor });
      await receiver.delete(page.entries.map((e) => e.key));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    process.stdout.write(`${JSON.stringify({ cleared: receiver.status().storedObjectCount })}\n`);
  }
}
