import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { eventually } from "../store/graph-test-support.ts";

/**
 * Servers of a test's own, so a fault test can stop, freeze and restart them without disturbing the machine's
 * shared PostgreSQL and Redis (which other suites and other checkouts use at the same time).
 */

const run = promisify(execFile);

/** The directory holding initdb/pg_ctl/postgres: pg_config's, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim());
  } catch {
    // no pg_config: look elsewhere
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, "bin")));
  }
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
}

/**
 * PostgreSQL refuses to run as root, and CI runs as root: then the cluster belongs to the `postgres` OS user and
 * every server command runs as that user.
 */
function asServerUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  if (onPath("runuser")) return ["runuser", ["-u", "postgres", "--", command, ...args]];
  const quoted = [command, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return ["su", ["postgres", "-s", "/bin/sh", "-c", quoted]];
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir && existsSync(join(dir, command)));
}

function serverUserIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** A throwaway PostgreSQL cluster (initdb in a temp directory) on `port`, with its unix socket in that directory. */
export class PrivatePostgres {
  readonly dir: string;
  private readonly data: string;
  private readonly bin: string;

  constructor(readonly port: number) {
    const bin = postgresBinDir();
    if (!bin) throw new Error("PostgreSQL server binaries (initdb, pg_ctl) not found: install the postgresql server package");
    this.bin = bin;
    const owner = serverUserIds();
    // As root, TMPDIR may be a directory the postgres user cannot enter; /tmp it can.
    this.dir = mkdtempSync(join(owner ? "/tmp" : tmpdir(), "b2b-authz-pg-"));
    this.data = join(this.dir, "data");
    if (owner) chownSync(this.dir, owner.uid, owner.gid);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async ctl(command: string, args: string[]): Promise<void> {
    const [file, argv] = asServerUser(join(this.bin, command), args);
    try {
      await run(file, argv, { cwd: this.dir });
    } catch (error) {
      const log = existsSync(join(this.dir, "log")) ? readFileSync(join(this.dir, "log"), "utf8").slice(-2000) : "";
      throw new Error(`${command} ${args.join(" ")} failed: ${(error as Error).message}\n${log}`, { cause: error });
    }
  }

  async init(): Promise<void> {
    await this.ctl("initdb", ["-D", this.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
    await this.start();
  }

  async start(): Promise<void> {
    // Durability is not under test; fsync off keeps a restart quick on a busy machine.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=60`;
    await this.ctl("pg_ctl", ["-D", this.data, "-l", join(this.dir, "log"), "-w", "-t", "30", "-o", options, "start"]);
  }

  /** `fast`: a clean shutdown (every connection cut); `immediate`: a crash, recovered from WAL on the next start. */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await this.ctl("pg_ctl", ["-D", this.data, "-m", mode, "-w", "-t", "30", "stop"]);
  }

  async query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = [], url = this.url): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Stops the server if it runs and deletes the cluster. */
  async destroy(): Promise<void> {
    if (existsSync(join(this.data, "postmaster.pid"))) await this.stop("immediate").catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A private redis-server that can be killed, frozen with SIGSTOP and thawed with SIGCONT. No automatic persistence;
 * with `snapshotDir`, an explicit SAVE writes its snapshot there and every start loads it back.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly snapshotDir?: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    const snapshot = this.snapshotDir ? ["--dir", this.snapshotDir, "--dbfilename", "dump.rdb"] : [];
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", ...snapshot, "--save", "", "--appendonly", "no"];
    this.child = spawn("redis-server", args, { stdio: "ignore" });
    const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => undefined);
    try {
      await eventually(async () => {
        await probe.connect().catch(() => undefined);
        return (await probe.ping().catch(() => "")) === "PONG";
      }, "private redis-server answers");
    } finally {
      probe.disconnect();
    }
  }

  /** A crash: SIGKILL, no goodbye to the clients. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGCONT"); // a frozen server cannot die until it runs
    child.kill("SIGKILL");
    await exited;
  }

  /** Frozen: connections stay open, nothing is answered, nothing is refused. */
  freeze(): void {
    this.child?.kill("SIGSTOP");
  }

  thaw(): void {
    this.child?.kill("SIGCONT");
  }
}

/** The PID of the server backend serving the connection whose last statement matched, e.g. the change listener's. */
export async function backendPids(server: PrivatePostgres, where: string): Promise<number[]> {
  const rows = await server.query<{ pid: number }>(`select pid from pg_stat_activity where ${where}`);
  return rows.map((r) => r.pid);
}
