/** Where the benchmark keeps what it installs and writes: under tools/ (git-ignored), never committed. */
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const TOOLS = fileURLToPath(new URL("../tools/", import.meta.url));
/** Scratch files of one run: load jobs, peer data, profiles. */
export const BENCH_TMP = fileURLToPath(new URL("../tools/bench/", import.meta.url));
