import { once } from "node:events";
import { Redis } from "ioredis";
import type { Logger } from "pino";

export interface RedisConnections {
  commands: Redis;
  subscriber: Redis;
  close(): Promise<void>;
}

/**
 * Two connections: commands fail fast while Redis is away (no offline queue: the cache falls back to
 * PostgreSQL), the subscriber queues its SUBSCRIBE until Redis answers and resubscribes after reconnecting.
 */
export async function connectRedis(url: string, log: Logger): Promise<RedisConnections> {
  const retryStrategy = (times: number) => Math.min(times * 100, 2_000);
  const commands = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000, retryStrategy });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null, retryStrategy });
  let warned = 0;
  const onError = (error: Error) => {
    if (Date.now() - warned > 10_000) {
      warned = Date.now();
      log.warn({ err: error }, "Redis unavailable: serving from process memory and PostgreSQL");
    }
  };
  commands.on("error", onError);
  subscriber.on("error", onError);
  // Give Redis a moment at start; unreachable is fine, it is optional.
  await Promise.race([once(commands, "ready"), new Promise((resolve) => setTimeout(resolve, 1_000))]).catch(() => undefined);
  return {
    commands,
    subscriber,
    close() {
      commands.disconnect();
      subscriber.disconnect();
      return Promise.resolve();
    },
  };
}
