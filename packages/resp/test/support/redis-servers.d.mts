// Types for redis-servers.mjs (plain ESM so the node benchmarks can import it too).
export declare class RedisServerMissingError extends Error {}

export interface TlsCertificates {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  remove(): void;
}

export interface RedisUser {
  name: string;
  password: string;
  /** ACL rules; default "~* &* +@all". */
  rules?: string;
}

export interface StartRedisOptions {
  port?: number;
  dir?: string;
  password?: string;
  users?: RedisUser[];
  tls?: TlsCertificates & { requireClientCert?: boolean };
  cluster?: boolean;
  maxmemory?: string;
}

export interface RedisServer {
  host: string;
  port: number;
  dir: string;
  pid: number;
  kill(): Promise<void>;
  restart(): Promise<RedisServer>;
  stop(): Promise<void>;
}

export interface RedisCluster {
  nodes: RedisServer[];
  startupNodes: string;
  stop(): Promise<undefined[]>;
  reshard(from: number, to: number, slots: number): Promise<void>;
}

export declare function freePort(): Promise<number>;
export declare function makeTlsCertificates(dir?: string): Promise<TlsCertificates>;
export declare function startRedis(options?: StartRedisOptions): Promise<RedisServer>;
export declare function redisCli(
  server: RedisServer,
  args: string[],
  options?: { password?: string },
): Promise<string>;
export declare function startCluster(options?: {
  primaries?: number;
  password?: string;
}): Promise<RedisCluster>;
