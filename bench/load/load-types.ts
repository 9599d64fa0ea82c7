/** What the parent asks of the load process, and what it answers. */
export interface LoadJob {
  url: string;
  method: "POST" | "GET";
  path: string;
  headers: Record<string, string>;
  /** Request bodies, sent in rotation on every connection. */
  bodies: string[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /**
   * Requests per second across all connections, evenly paced (load-process.ts, runPaced); unset: as fast as the
   * server answers (autocannon).
   */
  overallRate?: number;
  /**
   * Unique requests: instead of rotating `bodies`, take requests in order from a pool file (one `<path>\t<body>`
   * per line, see bench/request-pool.ts) starting at line `offset`, each sent once across all connections
   * (warm-up included), by the load process's own client. Running past the end wraps around, and counts repeats.
   */
  unique?: { file: string; offset: number };
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  /** 2xx answers per second over the measured run. */
  rps: number;
  /** 2xx response times, microseconds. */
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Latency at each of LATENCY_PERCENTILES, microseconds (for the distribution charts). */
  distributionUs: [percentile: number, us: number][];
  /** Unique mode: requests taken from the pool (warm-up included), and how many of them were repeats. */
  pool?: { used: number; repeats: number };
  /** CPU the load process used (the machine's other core). */
  loaderCpuSeconds: number;
}

export const LATENCY_PERCENTILES = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97.5, 99, 99.5, 99.9, 99.99, 100];
