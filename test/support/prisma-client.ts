import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./prisma/generated/client.ts";

export type { Prisma } from "./prisma/generated/client.ts";

/**
 * A Prisma client over the tests' order tables (test/support/prisma/schema.prisma) that runs offline: Prisma 7's
 * "prisma-client" generator compiles queries in WebAssembly and talks to PostgreSQL through the pg driver adapter,
 * so no query engine is downloaded or started. The client is generated and committed (`npm run prisma:generate`).
 */
export function prismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}
