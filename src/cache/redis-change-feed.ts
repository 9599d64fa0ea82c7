import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ChangeFeed, ChangeSink, FeedStatus, ListenerFactory, StoreListener } from "../model/change-feed.ts";
import { storeNamespace } from "./redis-tier.ts";

/**
 * Change fan-out for a fleet: one sidecar (the relay, elected with a Redis lease) LISTENs to PostgreSQL and
 * republishes every change on a Redis channel that all sidecars subscribe to, so PostgreSQL serves one
 * listening connection, not one per sidecar.
 *
 * Messages carry the relay's epoch (one per LISTEN session). Whenever a subscriber sees a new epoch (a new relay,
 * a relay that reconnected to PostgreSQL, or its own Redis subscription coming back), it may have missed
 * changes, so it resyncs (compares every cached version with PostgreSQL) before trusting its cache again.
 * The relay publishes a heartbeat after each successful ping of its listening connection; a heartbeat means
 * "every change committed before the ping has been published", which is what `freshAsOf` records.
 *
 * While Redis is unreachable a sidecar listens to PostgreSQL itself (slower for PostgreSQL, never wrong), and
 * goes back to the relay once Redis answers again.
 *
 * Every message names the store its relay listens to (`s`, its identity): stores sharing a Redis and a prefix
 * share the channel, and each sidecar ignores the messages of other stores. Each store elects its own relay
 * (the lease key carries the identity).
 */
export interface RedisFeedOptions {
  /** Opens a listening connection to the store: the relay's, or this sidecar's own while no relay is heard. */
  listen: ListenerFactory;
  heartbeatMs: number;
  redis: Redis;
  /** A dedicated connection in subscriber mode. */
  subscriber: Redis;
  prefix: string;
  /** The identity of the store this sidecar's caches hold (asked each time: it changes with the database). */
  store: () => string;
  /** The relay lease: a relay that stops renewing it is replaced within this time. */
  leaseMs: number;
  logger: Logger;
}

interface Message {
  /** the store's identity */
  s: string;
  e: string;
  k?: string;
  v?: number;
  /**
   * Heartbeats: the relay's clock when its listening connection last proved every earlier change published. A
   * subscriber is confirmed as of this time, not as of receipt: a heartbeat held up in a frozen or slow Redis
   * confirms only what it confirmed when it was sent.
   */
  t?: number;
}

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/**
 * One LISTEN session of the relay: its epoch, the store its listening connection reaches, and its change messages
 * not yet acknowledged by Redis (a heartbeat may confirm only what was published before it).
 */
interface RelaySession {
  epoch: string;
  store: () => string;
  replaced: () => string | undefined;
  pending: Set<Promise<void>>;
  failed: boolean;
}

export class RedisChangeFeed implements ChangeFeed {
  private readonly id = randomUUID();
  private readonly channel: string;
  private epoch: string | null = null;
  private fresh = 0;
  private resyncing: Promise<void> | undefined;
  private relay: { feed: StoreListener; holder: RelaySession } | undefined;
  private fallback: StoreListener | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastMessageAt = Date.now();

  constructor(
    private readonly sink: ChangeSink,
    private readonly options: RedisFeedOptions,
  ) {
    this.channel = `${options.prefix}changes`;
  }

  /** One relay per store: the lease is named by the store's identity. */
  private get leaseKey(): string {
    return `${storeNamespace(this.options.prefix, this.options.store())}relay`;
  }

  async start(): Promise<void> {
    const { subscriber } = this.options;
    subscriber.on("message", (channel: string, raw: string) => {
      if (channel === this.channel) this.receive(raw);
    });
    // After any reconnect the subscription may have missed messages: the next message triggers a resync.
    subscriber.on("ready", () => {
      this.epoch = null;
    });
    try {
      await subscriber.subscribe(this.channel);
    } catch (error) {
      this.options.logger.warn({ err: error }, "graph change feed: Redis unavailable, listening to PostgreSQL");
    }
    await this.leaseTick();
  }

  freshAsOf(): number {
    return Math.max(this.fresh, this.fallback?.freshAsOf() ?? 0);
  }

  status(): FeedStatus {
    const redisUp = this.options.subscriber.status === "ready";
    return {
      mode: this.fallback ? "redis+postgres" : "redis",
      connected: redisUp || (this.fallback?.status().connected ?? false),
      freshAsOf: this.freshAsOf(),
      relay: this.relay !== undefined,
    };
  }

  /**
   * The relay's deliveries are published, never applied
   * directly: the relay learns of its own changes through the channel like everyone, so ordering is the same.
   */
  private relaySink(session: RelaySession): ChangeSink {
    const publish = (message: Omit<Message, "s">, store = session.store()) =>
      this.options.redis.publish(this.channel, JSON.stringify({ s: store, ...message } satisfies Message)).then(() => undefined);
    return {
      change: (k, v) => {
        const sent = publish({ e: session.epoch, k, v }).catch((error: unknown) => {
          // The change may not have reached the subscribers: no heartbeat of this session may confirm anything
          // after it. The relay stands down; the next session's new epoch makes everyone resync.
          this.options.logger.warn({ err: error }, "graph relay: publish failed, standing down");
          session.failed = true;
          if (this.relay?.holder === session) void this.standDown();
        });
        session.pending.add(sent);
        void sent.finally(() => session.pending.delete(sent));
      },
      // Each new LISTEN session of the relay is a new epoch: subscribers resync. When the store was replaced, the
      // sidecars still on the old identity are told too: their resync finds the new one.
      resync: async () => {
        session.epoch = randomUUID();
        await publish({ e: session.epoch });
        const replaced = session.replaced();
        if (replaced !== undefined) await publish({ e: session.epoch }, replaced);
      },
    };
  }

  /** Stops relaying and gives the lease back, so that a new session (here or elsewhere) starts soon. */
  private async standDown(): Promise<void> {
    await this.stopRelay();
    await this.options.redis.eval(RENEW, 1, this.leaseKey, this.id, 1).catch(() => undefined);
  }

  private receive(raw: string): void {
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch {
      return;
    }
    // Another store's relay is ignored; this process's own relay is not: its store is the one PostgreSQL has now
    // (the database was replaced), and its new epoch makes the caches resync and take the new identity.
    if (message.s !== this.options.store() && message.e !== this.relay?.holder.epoch) return;
    const receivedAt = Date.now();
    this.lastMessageAt = receivedAt;
    if (message.k !== undefined && message.v !== undefined) this.sink.change(message.k, message.v, "redis");
    if (message.e !== this.epoch) {
      this.epoch = message.e;
      const run = (this.resyncing = this.sink.resync().then(
        () => {
          if (this.resyncing === run) {
            this.resyncing = undefined;
            this.fresh = receivedAt;
            void this.stopFallback();
          }
        },
        (error: unknown) => {
          this.options.logger.warn({ err: error }, "graph change feed: resync failed");
          if (this.resyncing === run) {
            this.resyncing = undefined;
            this.epoch = null; // try again on the next message
          }
        },
      ));
      return;
    }
    if (!this.resyncing && message.k === undefined && message.t !== undefined) {
      this.fresh = Math.max(this.fresh, Math.min(receivedAt, message.t));
    }
  }

  /** Every third of the lease: renew it (relay) or try to take it; watch whether anyone is relaying. */
  private async leaseTick(): Promise<void> {
    if (this.closed) return;
    const { redis, leaseMs } = this.options;
    try {
      if (this.relay) {
        const renewed = (await redis.eval(RENEW, 1, this.leaseKey, this.id, leaseMs)) as number;
        if (!renewed) await this.stopRelay();
      } else if ((await redis.set(this.leaseKey, this.id, "PX", leaseMs, "NX")) === "OK") {
        await this.startRelay();
      }
    } catch {
      // Redis unreachable: a relay cannot renew, so it stands down before its lease lapses elsewhere.
      await this.stopRelay();
    }
    const silentFor = Date.now() - this.lastMessageAt;
    const subscribed = this.options.subscriber.status === "ready";
    if (!subscribed || silentFor > leaseMs * 2) await this.startFallback();
    this.leaseTimer = setTimeout(() => void this.leaseTick(), Math.max(50, Math.floor(leaseMs / 3)));
    this.leaseTimer.unref();
  }

  private async startRelay(): Promise<void> {
    // Messages name the store the relay's own listening connection reaches: the facts it relays are that store's.
    const holder: RelaySession = {
      epoch: randomUUID(),
      store: () => feed.store,
      replaced: () => feed.replacedStore,
      pending: new Set(),
      failed: false,
    };
    const feed: StoreListener = this.options.listen(this.relaySink(holder), "postgres");
    this.relay = { feed, holder };
    this.options.logger.info({ relay: this.id }, "graph change feed: relaying PostgreSQL changes to Redis");
    await feed.start();
    this.heartbeat(feed);
  }

  /** Publishes the relay's freshness after each heartbeat of its listening connection. */
  private heartbeat(feed: StoreListener): void {
    let last = 0;
    const next = () => {
      setTimeout(beat, Math.max(20, Math.floor(this.options.heartbeatMs / 2))).unref();
    };
    const beat = () => {
      const relay = this.relay;
      if (!relay || relay.feed !== feed || this.closed) return;
      const fresh = feed.freshAsOf();
      const session = relay.holder;
      if (fresh <= last) {
        next();
        return;
      }
      last = fresh;
      // Every change heard before `fresh` was handed to Redis before it: confirm only once they all were published.
      void Promise.all([...session.pending]).then(() => {
        if (session.failed || this.relay?.holder !== session) return;
        this.options.redis
          .publish(this.channel, JSON.stringify({ s: session.store(), e: session.epoch, t: fresh } satisfies Message))
          .catch(() => undefined);
        next();
      });
    };
    beat();
  }

  private async stopRelay(): Promise<void> {
    const relay = this.relay;
    if (!relay) return;
    this.relay = undefined;
    await relay.feed.close();
    this.options.logger.info("graph change feed: stopped relaying");
  }

  private async startFallback(): Promise<void> {
    if (this.fallback || this.closed) return;
    this.options.logger.warn("graph change feed: no relay heard through Redis, listening to PostgreSQL directly");
    this.fallback = this.options.listen(this.sink, "fallback");
    await this.fallback.start();
  }

  private async stopFallback(): Promise<void> {
    const fallback = this.fallback;
    if (!fallback) return;
    this.fallback = undefined;
    await fallback.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.leaseTimer);
    await this.stopRelay();
    await this.stopFallback();
    await this.options.redis.eval(RENEW, 1, this.leaseKey, this.id, 1).catch(() => undefined);
  }
}
