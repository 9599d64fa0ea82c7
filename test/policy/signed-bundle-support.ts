import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

/**
 * Signed bundles as an operator makes them: the committed policies compiled and signed by the pinned
 * `opa build --signing-key … --signing-alg …` (as scripts/policy.sh builds them), and tar to open and repack them.
 */
const run = promisify(execFile);
export const root = new URL("../../", import.meta.url).pathname;
const opa = process.env.OPA_BIN ?? join(root, "tools/bin/opa");

export interface SigningKeys {
  /** PEM files of the private keys, as `--signing-key` takes them, and the public keys' PEM text. */
  rsa: { privateKeyFile: string; publicKey: string };
  otherRsa: { privateKeyFile: string; publicKey: string };
  ec: { privateKeyFile: string; publicKey: string };
  hmacSecret: string;
}

export async function signingKeys(dir: string): Promise<SigningKeys> {
  await mkdir(dir, { recursive: true });
  const pair = async (name: string, type: "rsa" | "ec") => {
    const { privateKey, publicKey } =
      type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const privateKeyFile = join(dir, `${name}.pem`);
    await writeFile(privateKeyFile, privateKey.export({ type: "pkcs8", format: "pem" }));
    return { privateKeyFile, publicKey: publicKey.export({ type: "spki", format: "pem" }).toString() };
  };
  return { rsa: await pair("rsa", "rsa"), otherRsa: await pair("other-rsa", "rsa"), ec: await pair("ec", "ec"), hmacSecret: "a-shared-hmac-secret-of-32-bytes!" };
}

/** `opa build -t wasm` of the committed policies, signed with `signingKey` (a PEM file, or the HMAC secret). */
export async function buildSignedBundle(
  out: string,
  options: { revision: string; signingKey?: string; algorithm?: string; claimsFile?: string },
): Promise<string> {
  const args = ["build", "-t", "wasm", "-b", "--capabilities", join(root, "policies.capabilities.json"), "--revision", options.revision];
  if (options.signingKey) args.push("--signing-key", options.signingKey, "--signing-alg", options.algorithm ?? "RS256");
  if (options.claimsFile) args.push("--claims-file", options.claimsFile);
  // Relative, as scripts/policy.sh runs it: the bundle's paths are then "policies/…", not the checkout's.
  args.push("--ignore", "*_test.rego", "--ignore", "README.md", "-o", out, "policies");
  await run(opa, args, { cwd: root });
  return out;
}

export async function unpack(archive: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await run("tar", ["-xzf", archive, "-C", dir]);
  return dir;
}

/** Packs a directory as a bundle archive (entries "./path", which the reader takes as "path"). */
export async function pack(dir: string, archive: string): Promise<string> {
  await run("tar", ["-czf", archive, "-C", dir, "."]);
  return archive;
}

/** A bundle archive holding `dir`'s files, then `extraDir`'s once more: a path twice. */
export async function packTwice(dir: string, extraDir: string, archive: string): Promise<string> {
  const tar = archive.replace(/\.gz$/, "");
  await run("tar", ["-cf", tar, "-C", dir, "."]);
  await run("tar", ["-rf", tar, "-C", extraDir, "."]);
  await writeFile(archive, gzipSync(await readFile(tar)));
  return archive;
}

/** The one JWT of a bundle directory's .signatures.json. */
export async function signatureOf(dir: string): Promise<string> {
  const block = JSON.parse(await readFile(join(dir, ".signatures.json"), "utf8")) as { signatures: string[] };
  return block.signatures[0] ?? "";
}
