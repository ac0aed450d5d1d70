import { fork } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LoopbackPeer } from "../src/bench/baseline-tcp.js";
import { allocateBenchBuffers } from "../src/bench/run-adapter-bench.js";
import { FrameReader, frameHeader, OP_GET, OP_PUT } from "../src/bench/tcp-frames.js";

const PEER = fileURLToPath(new URL("../dist/tcp-peer.js", import.meta.url));

describe("loopback baseline peer", () => {
  it("moves the requested bytes both ways and stops its child process", async () => {
    const { sources, targets } = allocateBenchBuffers(8, 64 * 1024);
    const peer = await LoopbackPeer.start(64 * 1024, 2, PEER);
    try {
      const figures = await peer.measure(sources, targets, 8, 4);
      expect(figures.writeSeconds).toBeGreaterThan(0);
      expect(figures.readSeconds).toBeGreaterThan(0);
      // The peer's GET payload is 0xa5 bytes: the targets were really filled from the socket.
      expect(targets.every((t) => t.every((byte) => byte === 0xa5))).toBe(true);
    } finally {
      await peer.stop();
    }
    expect(peer.child.exitCode !== null || peer.child.signalCode !== null).toBe(true);
  });

  it("a peer that dies mid-run makes measure reject instead of hang", async () => {
    const { sources, targets } = allocateBenchBuffers(16, 256 * 1024);
    const peer = await LoopbackPeer.start(256 * 1024, 2, PEER);
    try {
      const exited = once(peer.child, "exit");
      peer.child.kill("SIGKILL");
      await exited;
      await expect(peer.measure(sources, targets, 16, 4)).rejects.toThrow();
    } finally {
      await peer.stop();
    }
  });

  it("the peer closes a connection that sends a length above its limit (never trusts the wire)", async () => {
    const child = fork(PEER, ["1024"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    try {
      const [message] = (await once(child, "message")) as [{ port: number }];
      const socket = connect({ host: "127.0.0.1", port: message.port });
      await once(socket, "connect");
      socket.write(frameHeader(OP_PUT, 1 << 30));
      socket.write(Buffer.alloc(2048));
      const closed = once(socket, "close");
      await closed;
      expect(socket.destroyed).toBe(true);
    } finally {
      child.disconnect();
      await once(child, "exit");
    }
  });

  it("the frame reader reassembles frames split anywhere and rejects payloads larger than their buffer", () => {
    const frames: [number, number][] = [];
    const destination = Buffer.alloc(16);
    const reader = new FrameReader(
      () => destination,
      (op, length) => frames.push([op, length]),
    );
    const wire = Buffer.concat([
      frameHeader(OP_PUT, 5),
      Buffer.from("hello"),
      frameHeader(OP_PUT, 3),
      Buffer.from("abc"),
    ]);
    for (const byte of wire) reader.push(Buffer.from([byte]));
    expect(frames).toEqual([
      [OP_PUT, 5],
      [OP_PUT, 3],
    ]);
    expect(destination.subarray(0, 5).toString()).toBe("abclo");
    const getOnly = new FrameReader(
      () => null,
      (op, length) => frames.push([op, length]),
      [OP_GET],
    );
    getOnly.push(frameHeader(OP_GET, 1 << 20));
    expect(frames.at(-1)).toEqual([OP_GET, 1 << 20]);
    expect(() => reader.push(frameHeader(OP_PUT, 17))).toThrow(/does not fit/);
  });
});
