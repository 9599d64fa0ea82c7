import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const repoRoot = new URL("../../", import.meta.url).pathname;

/**
 * A copy of the project's policy toolchain in a temporary folder: policies/, the scripts, the Wasm capabilities,
 * the scenario table and the broken test bundles' sources, with the pinned tools/ and node_modules/ linked. Its
 * scripts/policy.sh builds its own bundle/bundle.tar.gz, so a test can change a rule and build a candidate with
 * the pinned opa without touching the checkout.
 */
export interface PolicyWorkspace {
  root: string;
  bundle: string;
  /** Rewrites policies/<path> with `edit` applied to its text. */
  edit(path: string, edit: (text: string) => string): Promise<void>;
  /** `scripts/policy.sh bundle` after the levels index: the candidate bundle, as policy:build writes it. */
  buildBundle(): Promise<string>;
  remove(): Promise<void>;
}

export async function policyWorkspace(): Promise<PolicyWorkspace> {
  const root = await mkdtemp(join(tmpdir(), "b2b-authz-policies-"));
  for (const path of ["policies", "scripts", "policies.capabilities.json", ".regal", "test/fixtures/scenarios", "test/fixtures/bundles"]) {
    await cp(join(repoRoot, path), join(root, path), { recursive: true });
  }
  await symlink(join(repoRoot, "tools"), join(root, "tools"));
  await symlink(join(repoRoot, "node_modules"), join(root, "node_modules"));
  await cp(join(repoRoot, "bundle"), join(root, "bundle"), { recursive: true });
  const bundle = join(root, "bundle/bundle.tar.gz");
  return {
    root,
    bundle,
    async edit(path, edit) {
      const file = join(root, "policies", path);
      await writeFile(file, edit(await readFile(file, "utf8")));
    },
    async buildBundle() {
      await run(process.execPath, [join(root, "scripts/generate-policy-artifacts.mjs"), "levels"], { cwd: root });
      await run("bash", [join(root, "scripts/policy.sh"), "bundle"], { cwd: root });
      return bundle;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Sets the level of `code` in role template `role` (policies/b2b/templates/data.json). */
export function withTemplateLevel(role: string, code: string, level: number): (text: string) => string {
  return (text) => {
    const data = JSON.parse(text) as { roles: Record<string, { permissions: { code: string; level: number }[] }> };
    const permission = data.roles[role]?.permissions.find((p) => p.code === code);
    if (!permission) throw new Error(`template ${role} has no ${code}`);
    permission.level = level;
    return `${JSON.stringify(data, null, 1)}\n`;
  };
}
