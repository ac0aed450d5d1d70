import { describe, expect, it } from "vitest";
import { ConnectionGuard, type GuardedConnection } from "../src/tcp/connection-guard.js";
import { FrameType, MAX_PRE_AUTH_BODY, writeFrameHeader } from "../src/wire/frame.js";
import { FrameReader } from "../src/wire/frame-reader.js";

function connection(
  host: string,
  state: Partial<Pick<GuardedConnection, "authenticated">> = {},
  busy = false,
) {
  const c = {
    host,
    authenticated: false,
    ...state,
    busy: () => busy,
    destroyed: false,
    destroy() {
      c.destroyed = true;
    },
  };
  return c;
}

describe("ConnectionGuard", () => {
  it("reaps the oldest unauthenticated connection first, then idle links, never busy ones", () => {
    const guard = new ConnectionGuard({ maxTotal: 4, maxPerHost: 4 });
    const busyLink = connection("a", { authenticated: true }, true);
    const idleLink = connection("a", { authenticated: true });
    const older = connection("a");
    const newer = connection("a");
    for (const c of [busyLink, idleLink, older, newer]) expect(guard.admit(c)).toBe(true);
    const b = connection("b");
    expect(guard.admit(b)).toBe(true);
    expect(older.destroyed).toBe(true);
    expect(guard.admit(connection("c", { authenticated: true }, true))).toBe(true);
    expect(newer.destroyed).toBe(true);
    expect(guard.admit(connection("d", { authenticated: true }, true))).toBe(true);
    expect(b.destroyed).toBe(true);
    expect(idleLink.destroyed).toBe(false);
    expect(guard.admit(connection("e", { authenticated: true }, true))).toBe(true);
    expect(idleLink.destroyed).toBe(true);
    // Only busy links are left: the newcomer is refused, nothing is reaped.
    expect(guard.admit(connection("f"))).toBe(false);
    expect(busyLink.destroyed).toBe(false);
    expect(guard.counters).toEqual({ reaped: 4, refused: 1 });
  });

  it("refuses a newcomer when nothing can be reaped, and frees places on release", () => {
    const guard = new ConnectionGuard({ maxTotal: 2, maxPerHost: 2 });
    const a = connection("a", { authenticated: true }, true);
    const b = connection("a", { authenticated: true }, true);
    guard.admit(a);
    guard.admit(b);
    expect(guard.admit(connection("a"))).toBe(false);
    expect(guard.counters.refused).toBe(1);
    guard.release(a);
    expect(guard.size).toBe(1);
    expect(guard.admit(connection("a"))).toBe(true);
  });

  it("limits one source address without touching another's connections", () => {
    const guard = new ConnectionGuard({ maxTotal: 10, maxPerHost: 2 });
    const other = connection("other");
    guard.admit(other);
    const first = connection("flood");
    guard.admit(first);
    guard.admit(connection("flood"));
    expect(guard.admit(connection("flood"))).toBe(true);
    expect(first.destroyed).toBe(true);
    expect(other.destroyed).toBe(false);
    expect(guard.size).toBe(3);
  });
});

describe("FrameReader limits before authentication", () => {
  const sink = {
    onControl: () => {},
    onDataStart: (_c: number, _s: number, n: number) => new Uint8Array(n),
    onDataEnd: () => {},
  };

  it("refuses a declared body over the pre-auth limit at the header, before buffering it", () => {
    const reader = new FrameReader(sink, { maxDataPayload: 0, maxControlBody: MAX_PRE_AUTH_BODY });
    const header = Buffer.alloc(16);
    writeFrameHeader(header, FrameType.Hello, 0, MAX_PRE_AUTH_BODY + 1);
    expect(() => reader.push(header)).toThrow(/exceeds 4096/);
    const raised = new FrameReader(sink, { maxDataPayload: 0, maxControlBody: MAX_PRE_AUTH_BODY });
    raised.maxControlBody = 1 << 20;
    writeFrameHeader(header, FrameType.AllocRequest, 0, 100_000);
    expect(() => raised.push(header)).not.toThrow();
  });

  it("wants only the bytes of the element it parses, so payload bytes never land in scratch", () => {
    const reader = new FrameReader(sink, { maxDataPayload: 1024 });
    expect(reader.wanted()).toBe(24);
    const header = Buffer.alloc(24);
    writeFrameHeader(header, FrameType.Data, 1, 8 + 1000);
    reader.push(header.subarray(0, 10));
    expect(reader.wanted()).toBe(14);
    reader.push(header.subarray(10));
    expect(reader.directTarget()?.byteLength).toBe(1000);
    reader.pushDirect(1000);
    expect(reader.wanted()).toBe(24);
    const control = Buffer.alloc(16);
    writeFrameHeader(control, FrameType.Cancel, 0, 300);
    reader.push(control);
    expect(reader.wanted()).toBe(300);
  });

  it("drops a payload whose sink returns null, in any chunking, and goes on with the next frame", () => {
    const seen: string[] = [];
    const reader = new FrameReader(
      {
        onControl: (type, corr) => seen.push(`control ${type}/${corr}`),
        onDataStart: (corr, slot, length, index) => {
          seen.push(`start ${corr}/${slot}/${index}/${length}`);
          return null;
        },
        onDataEnd: (corr, _slot, index) => seen.push(`end ${corr}/${index}`),
      },
      { maxDataPayload: 1024 },
    );
    const data = Buffer.alloc(24 + 1000, 7);
    writeFrameHeader(data, FrameType.Data, 3, 8 + 1000);
    data.writeUInt32BE(0, 16);
    data.writeUInt32BE(2, 20);
    const cancel = Buffer.alloc(16 + 2);
    writeFrameHeader(cancel, FrameType.Cancel, 4, 2);
    cancel.write("{}", 16);
    const bytes = Buffer.concat([data, cancel]);
    for (let i = 0; i < bytes.length; i += 97) {
      reader.push(bytes.subarray(i, i + 97));
      expect(reader.directTarget()).toBeUndefined();
    }
    expect(seen).toEqual(["start 3/0/2/1000", "end 3/2", `control ${FrameType.Cancel}/4`]);
  });
});
