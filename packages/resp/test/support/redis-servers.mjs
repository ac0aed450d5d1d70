// Real Redis servers for tests and benchmarks: started on free 127.0.0.1 ports from a config file in a
// private temp dir, stopped by PID, temp dir removed. Plain ESM so the benchmarks (plain node) share it.
import { execFile, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 15_000;

/** Thrown when the machine has no redis-server: the tests fail with the fix, they never skip. */
export class RedisServerMissingError extends Error {}

let checkedBinaries;
async function requireBinaries() {
  checkedBinaries ??= (async () => {
    for (const tool of ["redis-server", "redis-cli"]) {
      try {
        await run(tool, ["--version"]);
      } catch {
        throw new RedisServerMissingError(
          `${tool} is not on PATH, and @x/l2-resp's tests need a real Redis server. ` +
            "Fix: apt-get install -y redis-server (bash .ci/run does this when it is missing).",
        );
      }
    }
  })();
  return checkedBinaries;
}

/** A TCP port nothing listens on right now (the kernel's pick for port 0). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port + 10000 > 65535) continue;
    if (await isFree(port + 10000)) return port;
  }
  throw new Error("no free port pair (port, port + 10000) for a cluster node");
}

function isFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `x-l2-resp-${label}-`));
  chmodSync(dir, 0o700);
  return dir;
}

/**
 * Certificates for TLS tests, made with the openssl CLI: a CA, a server certificate for 127.0.0.1 and a
 * client certificate, both signed by the CA. Files are owner-only.
 */
export async function makeTlsCertificates(dir = tempDir("tls")) {
  const f = (name) => join(dir, name);
  const ssl = (...args) => run("openssl", args, { cwd: dir });
  await ssl("genrsa", "-out", f("ca.key"), "2048");
  await ssl(
    "req",
    "-x509",
    "-new",
    "-key",
    f("ca.key"),
    "-sha256",
    "-days",
    "2",
    "-subj",
    "/CN=x-l2 test CA",
    "-out",
    f("ca.crt"),
  );
  writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  writeFileSync(f("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    await ssl("genrsa", "-out", f(`${who}.key`), "2048");
    await ssl(
      "req",
      "-new",
      "-key",
      f(`${who}.key`),
      "-subj",
      `/CN=x-l2 test ${who}`,
      "-out",
      f(`${who}.csr`),
    );
    await ssl(
      "x509",
      "-req",
      "-in",
      f(`${who}.csr`),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-sha256",
      "-extfile",
      f(`${who}.ext`),
      "-out",
      f(`${who}.crt`),
    );
  }
  for (const name of ["ca.key", "server.key", "client.key"]) chmodSync(f(name), 0o600);
  return {
    dir,
    caFile: f("ca.crt"),
    serverCertFile: f("server.crt"),
    serverKeyFile: f("server.key"),
    clientCertFile: f("client.crt"),
    clientKeyFile: f("client.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function configText({ port, dir, password, users, tls, cluster, maxmemory }) {
  const lines = [
    `bind ${HOST}`,
    `dir ${dir}`,
    "daemonize no",
    "protected-mode no",
    'save ""',
    "appendonly no",
    "loglevel notice",
    'logfile ""',
    // Tests store tens of MiB; the default 512 MiB bulk limit is fine, but keep client buffers unbounded.
    "client-output-buffer-limit normal 0 0 0",
  ];
  if (tls) {
    lines.push(
      "port 0",
      `tls-port ${port}`,
      `tls-cert-file ${tls.serverCertFile}`,
      `tls-key-file ${tls.serverKeyFile}`,
      `tls-ca-cert-file ${tls.caFile}`,
      `tls-auth-clients ${tls.requireClientCert ? "yes" : "no"}`,
    );
    if (cluster) lines.push("tls-cluster yes");
  } else {
    lines.push(`port ${port}`);
  }
  if (password !== undefined) lines.push(`requirepass ${password}`);
  for (const user of users ?? [])
    lines.push(`user ${user.name} on >${user.password} ${user.rules ?? "~* &* +@all"}`);
  if (cluster) {
    lines.push(
      "cluster-enabled yes",
      `cluster-config-file ${join(dir, "nodes.conf")}`,
      "cluster-node-timeout 2000",
      "cluster-require-full-coverage no",
    );
  }
  if (maxmemory) lines.push(`maxmemory ${maxmemory}`, "maxmemory-policy noeviction");
  return `${lines.join("\n")}\n`;
}

/**
 * One redis-server. Options: password (default user), users [{ name, password, rules }], tls (from
 * makeTlsCertificates, plus requireClientCert), cluster (a cluster-enabled node), port.
 * Returns { host, port, pid, dir, stop(), kill(), restart() }.
 */
export async function startRedis(options = {}) {
  await requireBinaries();
  const port = options.port ?? (options.cluster ? await freeClusterPort() : await freePort());
  const dir = options.dir ?? tempDir(`node-${port}`);
  const confFile = join(dir, "redis.conf");
  // The config holds passwords: owner-only, and never on a command line where ps would show it.
  writeFileSync(confFile, configText({ ...options, port, dir }), { mode: 0o600 });

  const server = {
    host: HOST,
    port,
    dir,
    pid: 0,
    child: undefined,
    /** SIGKILL, as a crash would; the process is gone when this resolves. Data is lost (no persistence). */
    kill: () => stopChild(server, "SIGKILL"),
    /** Starts the server again on the same port, empty. */
    restart: async () => {
      await launch(server, confFile);
      return server;
    },
    /** Stops the server by PID and removes its temp dir. */
    stop: async () => {
      await stopChild(server, "SIGTERM");
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  await launch(server, confFile);
  return server;
}

async function launch(server, confFile) {
  const child = spawn("redis-server", [confFile], { stdio: ["ignore", "pipe", "pipe"] });
  server.child = child;
  server.pid = child.pid;
  let log = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`redis-server on port ${server.port} not ready: ${log}`)),
      READY_TIMEOUT_MS,
    );
    const fail = (error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    const onData = (chunk) => {
      log += chunk.toString();
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) =>
      fail(new Error(`redis-server on port ${server.port} exited (${code ?? signal}) before ready:\n${log}`)),
    );
  });
  // Keep draining output so the pipe never fills and blocks the server.
  child.stdout.removeAllListeners("data");
  child.stderr.removeAllListeners("data");
  child.removeAllListeners("exit");
  child.stdout.resume();
  child.stderr.resume();
}

function stopChild(server, signal) {
  const child = server.child;
  server.child = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const escalate = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(escalate);
      resolve();
    });
    process.kill(server.pid, signal);
  });
}

/** redis-cli against one server; the password goes through the environment, never argv. */
export async function redisCli(server, args, { password } = {}) {
  const env = { ...process.env };
  if (password !== undefined) env.REDISCLI_AUTH = password;
  const { stdout } = await run("redis-cli", ["-h", server.host, "-p", String(server.port), ...args], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * A cluster of `primaries` primaries (no replicas), all 16384 slots assigned, state ok on every node.
 * Returns { nodes, startupNodes: "h:p,h:p,h:p", stop(), reshard(fromIndex, toIndex, slots) }.
 */
export async function startCluster({ primaries = 3, password } = {}) {
  const nodes = [];
  try {
    for (let i = 0; i < primaries; i++) nodes.push(await startRedis({ cluster: true, password }));
    const addresses = nodes.map((n) => `${n.host}:${n.port}`);
    await redisCli(
      nodes[0],
      ["--cluster", "create", ...addresses, "--cluster-replicas", "0", "--cluster-yes"],
      {
        password,
      },
    );
    await waitForClusterOk(nodes, password);
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  return {
    nodes,
    startupNodes: nodes.map((n) => `${n.host}:${n.port}`).join(","),
    stop: () => Promise.all(nodes.map((n) => n.stop())),
    /** Moves `slots` slots (with their keys) from node `from` to node `to`, as an operator's reshard does. */
    reshard: async (from, to, slots) => {
      const [fromId, toId] = await Promise.all([nodeId(nodes[from], password), nodeId(nodes[to], password)]);
      await redisCli(
        nodes[0],
        [
          "--cluster",
          "reshard",
          `${nodes[0].host}:${nodes[0].port}`,
          "--cluster-from",
          fromId,
          "--cluster-to",
          toId,
          "--cluster-slots",
          String(slots),
          "--cluster-yes",
          "--cluster-pipeline",
          "4",
        ],
        { password },
      );
    },
  };
}

async function nodeId(node, password) {
  return (await redisCli(node, ["cluster", "myid"], { password })).trim();
}

async function waitForClusterOk(nodes, password) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const infos = await Promise.all(nodes.map((n) => redisCli(n, ["cluster", "info"], { password })));
    if (infos.every((info) => /cluster_state:ok/.test(info))) return;
    if (Date.now() > deadline)
      throw new Error(`cluster not ok after ${READY_TIMEOUT_MS} ms:\n${infos.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
