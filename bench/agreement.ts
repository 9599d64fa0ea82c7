/** Each peer answers the same request bodies as we do; these helpers ask them and count equal answers. */
import type { JsonClient} from "./http-client.ts";
import { mapConcurrent } from "./http-client.ts";
import type { CheckCase } from "./workload.ts";

export interface Agreement {
  same: number;
  of: number;
  example?: string;
}

/** Asks every body once; returns whether each was allowed (undefined: no decision in the answer). */
export async function answers(client: JsonClient, path: string, bodies: unknown[], allowed: (body: unknown) => boolean | undefined): Promise<(boolean | undefined)[]> {
  return mapConcurrent(bodies, 8, async (body) => {
    const answer = await client.post(path, body);
    if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    return allowed(answer.body);
  });
}

export function agreement(ours: readonly boolean[], theirs: readonly (boolean | undefined)[], cases: readonly CheckCase[]): Agreement {
  let same = 0;
  let example: string | undefined;
  theirs.forEach((allow, i) => {
    if (allow === ours[i]) same++;
    else example ??= `${cases[i]!.kind}: ${JSON.stringify(cases[i]!.body)} (ours ${ours[i]}, theirs ${allow})`;
  });
  return { same, of: ours.length, ...(example ? { example } : {}) };
}

/** The peers' answer shapes. */
export const ourAllow = (b: unknown) => (b as { allow?: boolean }).allow;
export const opaAllow = (b: unknown) => (b as { result?: { allow?: boolean } }).result?.allow;
