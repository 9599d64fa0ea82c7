import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";
import { displayUrl, pollRemoteBundle } from "../../src/policy/remote-bundle.ts";

/** How a remote bundle is asked for (remote-bundle.ts); the whole protocol runs in remote-bundle.test.ts. */
describe("downloads", () => {
  it("shows a URL without credentials or query", () => {
    expect(displayUrl("https://user:pw@bundles.example:8443/b/b2b.tar.gz?X-Amz-Signature=abc")).toBe("https://bundles.example:8443/b/b2b.tar.gz?…");
  });

  it("follows no redirect (the bearer token stays with the configured server) and reports a refusal status", async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.url === "/moved") res.writeHead(302, { location: "/elsewhere" }).end();
      else res.writeHead(403).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const [path, message] of [["/moved", /failed/], ["/forbidden", /answered 403/]] as const) {
        const engine = new PolicyEngine();
        const watch = await pollRemoteBundle(engine, { url: `${base}${path}`, token: "t0ken", minDelayMs: 60_000, maxDelayMs: 60_000, timeoutMs: 2_000 });
        watch.stop();
        expect(engine.revision).toBeNull();
        expect(watch.status().lastError).toMatchObject({ reason: "bundle_fetch_failed", message: expect.stringMatching(message) });
        expect(watch.status().lastError?.message).not.toContain("t0ken");
      }
      expect(seen).toEqual(["Bearer t0ken", "Bearer t0ken"]);
    } finally {
      server.close();
    }
  });
});
