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
  /** CPU the load process used (the machine's other core). */
  loaderCpuSeconds: number;
}
