// Writes policies.capabilities.json: the builtins a policy compiled with `opa build -t wasm` can use when evaluated by
// @open-policy-agent/opa-wasm. That is the builtins OPA's Wasm compiler implements natively plus the ones the JS SDK
// provides; any other builtin is left out so that `opa build` rejects it instead of the SDK failing at evaluation time.
// Needs the pinned OPA's Go module source (present after scripts/install-policy-tools.sh) and the installed npm SDK.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const version = /OPA_VERSION=(\S+)/.exec(readFileSync(join(root, "scripts/policy-tool-versions.sh"), "utf8"))[1];
const modRoot = join(execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim(), `github.com/open-policy-agent/opa@${version}`);

const astSource = readFileSync(join(modRoot, "v1/ast/builtins.go"), "utf8");
const nameOfVar = new Map([...astSource.matchAll(/^var (\w+) = &Builtin\{\s*\n\s*Name:\s*"([^"]+)"/gm)].map((m) => [m[1], m[2]]));
const wasmSource = readFileSync(join(modRoot, "internal/compiler/wasm/wasm.go"), "utf8");
const nativeBlock = /var builtinsFunctions = map\[string\]string\{([\s\S]*?)\n\}/.exec(wasmSource)[1];
const native = [...nativeBlock.matchAll(/ast\.(\w+)\.Name/g)].map((m) => {
  const name = nameOfVar.get(m[1]);
  if (!name) throw new Error(`cannot resolve ast.${m[1]} to a builtin name`);
  return name;
});
const require = createRequire(import.meta.url);
const sdkDir = join(root, "node_modules/@open-policy-agent/opa-wasm");
const sdk = Object.keys(require(join(sdkDir, "src/builtins/index.js")));
// The SDK's own capabilities file adds what the compiler plans inline (eq, assign, internal.member_*).
const sdkCapabilities = JSON.parse(readFileSync(join(sdkDir, "capabilities.json"), "utf8"));
const allowed = new Set([...native, ...sdk, ...sdkCapabilities.builtins.map((b) => b.name)]);

const current = JSON.parse(execFileSync(join(root, "tools/bin/opa"), ["capabilities", "--current"], { encoding: "utf8" }));
current.builtins = current.builtins.filter((b) => allowed.has(b.name)).sort((a, b) => a.name.localeCompare(b.name));
current.wasm_abi_versions = sdkCapabilities.wasm_abi_versions;
writeFileSync(join(root, "policies.capabilities.json"), JSON.stringify(current, null, 1) + "\n");
console.log(`policies.capabilities.json: ${current.builtins.length} builtins usable under opa-wasm (${native.length} native, ${sdk.length} from the SDK, the rest planned inline)`);
