import pg from "pg";
import type { Logger } from "pino";
import type { ChangeSink, ChangeSource, FeedStatus, StoreListener } from "../model/change-feed.ts";
import { STORE_ID_SQL } from "./store-identity.ts";

/** The channel the triggers of migration 001 notify, with payload '<key> <version>'. */
export const GRAPH_CHANNEL = "b2b_authz_graph";
/** The `application_name` of the listening connection, as pg_stat_activity shows it. */
export const LISTENER_APPLICATION_NAME = "b2b-authz graph listener";

export function parsePayload(payload: string | undefined): [string, number] | null {
  if (!payload) return null;
  const space = payload.lastIndexOf(" ");
  const version = Number(payload.slice(space + 1));
  if (space <= 0 || !Number.isSafeInteger(version)) return null;
  return [payload.slice(0, space), version];
}

/**
 * The store's identity, the last change sequence number handed out (it only goes back with a restore) and the
 * versions table's oid (a restored dump re-creates the table): what tells a replaced or restored store.
 */
async function readState(client: pg.Client): Promise<{ store: string; seq: number; table: string }> {
  const { rows } = await client.query<{ store: string; seq: string; table: string }>(
    `select ${STORE_ID_SQL} as store, (select last_value from graph_change_seq) as seq,
            'graph_versions'::regclass::oid::text as table`,
  );
  return { store: rows[0]?.store ?? "", seq: Number(rows[0]?.seq ?? 0), table: rows[0]?.table ?? "" };
}

export interface PgFeedOptions {
  /** Connection settings of the pool: the listener is one extra connection. */
  connection: pg.ClientConfig;
  heartbeatMs: number;
  logger: Logger;
  /**
   * Also read changes from `graph_versions.seq` on each heartbeat. For the embedded store: its single session
   * delivers a NOTIFY to the connection that committed it, which for a host's own connection is not ours; and
   * with one session, sequence order is commit order, so the poll misses nothing.
   */
  poll?: boolean;
}

/**
 * One LISTEN connection to PostgreSQL. A heartbeat query on it proves every notification committed before the
 * query was sent has arrived (the server delivers pending notifications before answering an idle session), which
 * is what `freshAsOf` reports. On a lost connection it reconnects, LISTENs again and asks the sink to resync
 * before reporting fresh again, so nothing committed while it was away is missed.
 */
export class PgChangeFeed implements StoreListener {
  private client: pg.Client | undefined;
  private fresh = 0;
  private connected = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = 100;
  private seq = 0;
  /** The identity of the store this connection reaches, and the highest change sequence it has seen. */
  private storeId = "";
  private replaced: string | undefined;
  private highestSeq = 0;
  private table = "";

  constructor(
    private readonly sink: ChangeSink,
    private readonly options: PgFeedOptions,
    private readonly source: ChangeSource = "postgres",
  ) {}

  /** Resolves once listening (or after the first failed attempt: it keeps retrying in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  freshAsOf(): number {
    return this.fresh;
  }

  /** The identity of the store the listening connection reaches ('' before it first connected). */
  get store(): string {
    return this.storeId;
  }

  /** The identity it reached before, when the store was replaced under it (the last resync was for that). */
  get replacedStore(): string | undefined {
    return this.replaced;
  }

  private reached(store: string): void {
    this.replaced = this.storeId !== "" && this.storeId !== store ? this.storeId : undefined;
    this.storeId = store;
  }

  status(): FeedStatus {
    return { mode: "postgres", connected: this.connected, freshAsOf: this.fresh };
  }

  /**
   * Notifications that reach another connection: the embedded PostgreSQL (pglite) is one session shared by every
   * connection, so a NOTIFY is delivered to whichever connection committed it. Pool clients forward them here.
   */
  deliver(payload: string | undefined): void {
    const parsed = parsePayload(payload);
    if (parsed) this.sink.change(parsed[0], parsed[1], this.source);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    // Named so an operator (and the fault tests) can tell the listening connection from the pool's in pg_stat_activity.
    const client = new pg.Client({ ...this.options.connection, application_name: LISTENER_APPLICATION_NAME });
    client.on("notification", (n) => {
      if (n.channel === GRAPH_CHANNEL) this.deliver(n.payload);
    });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      await client.query(`listen ${GRAPH_CHANNEL}`);
      const listening = Date.now();
      if (this.options.poll) {
        const { rows } = await client.query<{ seq: string }>("select coalesce(max(seq), 0) as seq from graph_versions");
        this.seq = Number(rows[0]?.seq ?? 0);
      }
      const state = await readState(client);
      this.reached(state.store);
      this.highestSeq = state.seq;
      this.table = state.table;
      this.client = client;
      await this.sink.resync();
      this.connected = true;
      this.fresh = listening;
      this.backoffMs = 100;
      this.schedule(this.options.heartbeatMs);
    } catch (error) {
      this.options.logger.warn({ err: error }, "graph change feed: cannot listen to PostgreSQL, retrying");
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      this.schedule(this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 2_000);
    }
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const client = this.client;
    if (!client) return this.connect();
    const sent = Date.now();
    try {
      if (this.options.poll) await this.poll(client);
      await this.check(client);
      if (this.client === client) this.fresh = sent;
      this.schedule(this.options.heartbeatMs);
    } catch (error) {
      this.lost(client, error);
    }
  }

  /**
   * The heartbeat: answering it proves every notification committed before it was delivered. It also reads the
   * store's identity, change sequence and versions table: another identity (the database was dropped and created
   * anew), a sequence gone back or a re-created table (restored from a backup) without the connection breaking
   * means the caches may hold facts PostgreSQL no longer has, so the sink resyncs (comparing versions and stamps)
   * before freshness is confirmed.
   */
  private async check(client: pg.Client): Promise<void> {
    const state = await readState(client);
    if (state.store !== this.storeId || state.seq < this.highestSeq || state.table !== this.table) {
      this.options.logger.warn(
        { store: state.store, was: this.storeId, seq: state.seq, highestSeq: this.highestSeq },
        "graph change feed: the store was replaced or went back in time, resyncing",
      );
      this.reached(state.store);
      this.highestSeq = state.seq;
      this.table = state.table;
      await this.sink.resync();
      return;
    }
    this.highestSeq = state.seq;
  }

  private async poll(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ key: string; version: string; seq: string }>(
      "select key, version, seq from graph_versions where seq > $1 order by seq",
      [this.seq],
    );
    for (const r of rows) {
      this.seq = Math.max(this.seq, Number(r.seq));
      this.sink.change(r.key, Number(r.version), this.source);
    }
  }

  private lost(client: pg.Client, error?: unknown): void {
    if (this.client !== client || this.closed) return;
    this.options.logger.warn({ err: error }, "graph change feed: lost the PostgreSQL connection");
    this.client = undefined;
    this.connected = false;
    client.end().catch(() => undefined);
    this.schedule(this.backoffMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }
}
