import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import express from "express";
import type { AddressInfo } from "node:net";
import { EXPLORER_DIR, explorerPage } from "../../src/http/explorer-page.ts";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { ADMIN_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * The decision explorer in a real browser (Debian's Chromium, driven by playwright-core) against a real sidecar on
 * the machine's PostgreSQL and Redis with the demo graph: the page only shows what the API answers.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const root = fileURLToPath(new URL("../../", import.meta.url));
const screenshots = join(root, "build/screenshots");
const HOSTILE_NAME = "<img src=x onerror=alert(1)>";
const HOSTILE_NOTE = "<script>alert(2)</script>";
const staff = "staff:ops-1";

let t: TestSidecar;
let context: BrowserContext;
let profile: string;
const requested: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  // dist/explorer/ comes from `npm run build` (npm ci runs it); a checkout that skipped it builds the page here.
  if (!existsSync(join(EXPLORER_DIR, "index.html"))) {
    const { build } = await import("vite");
    await build({ configFile: join(root, "explorer/vite.config.ts"), logLevel: "warn" });
  }
  mkdirSync(screenshots, { recursive: true });
  t = await startTestSidecar("explorer");
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: staff, body: demoDocument })).status).toBe(200);
  const hostile = await t.call("POST", "/v1/orgs", {
    actor: staff,
    body: { id: "GLOBEX-XSS", parent: "GLOBEX", name: HOSTILE_NAME, attributes: { note: HOSTILE_NOTE } },
  });
  expect(hostile.status).toBe(201);
  profile = mkdtempSync(join(tmpdir(), "b2b-authz-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    // Without the background-networking flags Chromium calls home (updates, sync, QUIC probes) on its own.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.on("request", (request) => requested.push(request.url()));
  context.on("page", (page) => page.on("dialog", (dialog) => void dialog.dismiss().then(() => dialogs.push(dialog.message()))));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await t?.sidecar.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

// Evaluated in the page (the test's own types have no DOM).
const FOCUSED_ORG = 'document.activeElement?.getAttribute("data-org")';

const org = (page: Page, id: string) => page.locator(`[role="treeitem"][data-org="${id}"]`);

async function openWithKey(page: Page): Promise<void> {
  await page.goto(`${t.sidecar.url}/explorer`);
  await page.fill('input[name="key"]', ADMIN_KEY);
  await page.fill('input[name="actor"]', staff);
  await page.click('button[type="submit"]');
  await page.waitForSelector(".company-list .company");
}

async function pickCompany(page: Page, search: string, root: string): Promise<void> {
  await page.fill('input[name="company"]', search);
  await page.click(`.company[data-root="${root}"]`);
  await org(page, root).waitFor();
}

async function pickSubject(page: Page, id: string): Promise<void> {
  await page.fill('input[name="subject"]', id);
  await page.click('.panel-section form.row button[type="submit"]');
}

type Box = { x: number; y: number; width: number; height: number };
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe("the decision explorer in Chromium", () => {
  it("without a key shows only the key prompt, under a strict Content-Security-Policy, and calls no API", async () => {
    const page = await context.newPage();
    const calls: string[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/v1/")) calls.push(request.url());
    });
    const response = await page.goto(`${t.sidecar.url}/explorer`);
    const headers = response!.headers();
    expect(headers["content-security-policy"]).toContain("default-src 'self'");
    expect(headers["content-security-policy"]).toContain("script-src 'self'");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"]).not.toMatch(/unsafe-(inline|eval)/);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    await page.waitForSelector('input[name="key"]');
    expect(await page.locator(".layout").count()).toBe(0);
    expect(await page.locator("[role=tree]").count()).toBe(0);
    expect(calls).toEqual([]);
    await page.screenshot({ path: join(screenshots, "explorer-key-prompt.png") });
    await page.close();
  });

  it("shows carol's regional_buyer at ACME-DE, the cut at ACME-FR, the order scope, and why an 800 order needs approval", async () => {
    const page = await context.newPage();
    await openWithKey(page);
    expect(await page.evaluate("localStorage.length")).toBe(0);
    expect(await page.evaluate("sessionStorage.length")).toBe(1);
    await expect.poll(() => page.textContent('[data-testid="policy"]')).toContain(t.sidecar.engine.revision!);
    expect(await page.textContent('[data-testid="policy"]')).toContain("activated");

    await pickCompany(page, "acme", "ACME");
    expect(await page.locator('[role="treeitem"]').count()).toBe(7);
    // ACME-FR opts out of inheritance: its edge is drawn as a cut, and its box says so.
    expect(await page.locator('.edge.cut[data-child="ACME-FR"]').count()).toBe(1);
    expect(await page.locator(".edge.cut").count()).toBe(1);
    expect(await org(page, "ACME-FR").locator(".cut-badge").textContent()).toContain("cut");
    expect(await org(page, "ACME-LAB").locator(".status").textContent()).toBe("inactive");

    await pickSubject(page, "carol");
    await expect.poll(() => org(page, "ACME-DE").locator(".role").first().textContent()).toMatch(/regional_buyer\s+direct/);
    expect(await org(page, "ACME-BER").locator(".role").first().textContent()).toMatch(/regional_buyer\s+inherited from ACME-DE/);
    expect(await org(page, "ACME").locator(".role").count()).toBe(0);
    expect(await org(page, "ACME-DE").locator(".acts").count()).toBe(1);
    expect(await org(page, "ACME").locator(".no-act").count()).toBe(1);

    await org(page, "ACME-DE").click();
    await expect.poll(() => page.textContent(".order-scope .scope-orgs")).toBe("ACME-BER, ACME-DE");
    expect(await page.textContent(".order-scope .sql")).toContain('"org_id" = ANY($1)');
    expect(await page.locator(".org.in-scope").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-org")))).toEqual(["ACME-DE", "ACME-BER"]);
    expect(await page.textContent(".subject-here .held-roles")).toMatch(/regional_buyer\s+direct/);
    expect(await page.textContent(".subject-here")).toContain("org status active");

    await page.fill('input[name="buyer"]', "carol");
    await page.fill('input[name="total"]', "800");
    await page.click('.check-form button[type="submit"]');
    const result = page.locator(".check-result");
    await result.waitFor();
    expect(await result.locator(".decision").textContent()).toBe("approval_required");
    expect(await result.locator('.reason[data-code="over_limit"]').textContent()).toContain("maxOrderTotal");
    expect(await result.locator('.reason[data-code="over_limit"] .reason-fields').textContent()).toContain("max=500");
    expect(await result.locator(".approvers").textContent()).toMatch(/orgACME-DE.*permissionapproval\.decide/);
    expect(await result.locator(".token").textContent()).toMatch(/^g2\./);

    // At 1280x800 the panels and the org boxes never overlap.
    const panels = await Promise.all([".topbar", ".controls", ".tree-panel", ".details"].map((s) => page.locator(s).boundingBox()));
    for (const [i, a] of panels.entries()) {
      expect(a, String(i)).not.toBeNull();
      for (const b of panels.slice(i + 1)) expect(overlap(a!, b!)).toBe(false);
    }
    const boxes = await page.locator('[role="treeitem"]').evaluateAll((nodes) =>
      nodes.map((n) => {
        const r = n.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      }),
    );
    for (const [i, a] of boxes.entries()) for (const b of boxes.slice(i + 1)) expect(overlap(a, b)).toBe(false);
    await page.screenshot({ path: join(screenshots, "explorer-carol.png") });

    // Keyboard: the arrow keys walk the tree, and the focused org is the one shown.
    await org(page, "ACME").focus();
    for (const key of ["ArrowDown", "ArrowDown"]) await page.keyboard.press(key);
    expect(await page.evaluate(FOCUSED_ORG)).toBe("ACME-DE");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowRight");
    expect(await page.evaluate(FOCUSED_ORG)).toBe("ACME-FR");
    await expect.poll(() => page.textContent(".org-details h2")).toContain("ACME-FR");
    expect(await page.textContent(".org-details")).toContain("roles held above do not reach this org");
    expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).not.toBe("none");

    // alice's org_admin at ACME is inherited down the tree, and stops at the cut.
    await pickSubject(page, "alice");
    await expect.poll(() => org(page, "ACME-DE").locator(".role").first().textContent()).toMatch(/org_admin\s+inherited from ACME$/);
    expect(await org(page, "ACME").locator(".role").first().textContent()).toMatch(/org_admin\s+direct/);
    expect(await org(page, "ACME-FR").locator(".role").count()).toBe(0);
    expect(await org(page, "ACME-FR").locator(".no-act").count()).toBe(1);
    await page.close();
  });

  it("renders an org named like markup as text: no img element, no dialog", async () => {
    const page = await context.newPage();
    await openWithKey(page);
    expect(await page.textContent(".company-list")).toContain("GLOBEX");
    // Enter in the search box opens the one company it matches (or the org id typed in).
    await page.fill('input[name="company"]', "glob");
    await page.press('input[name="company"]', "Enter");
    await org(page, "GLOBEX").waitFor();
    await org(page, "GLOBEX-XSS").click();
    expect(await org(page, "GLOBEX-XSS").locator(".org-name").textContent()).toBe(HOSTILE_NAME);
    expect(await page.textContent(".org-details .org-name")).toBe(HOSTILE_NAME);
    expect(await page.textContent(".org-details .attributes")).toContain(HOSTILE_NOTE);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.evaluate("document.scripts.length")).toBe(1);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(screenshots, "explorer-hostile-name.png") });
    await page.close();
  });

  it("made no request beyond the sidecar on 127.0.0.1", () => {
    expect(requested.length).toBeGreaterThan(0);
    const hosts = new Set(requested.map((url) => new URL(url).host));
    expect([...hosts]).toEqual([new URL(t.sidecar.url).host]);
    expect(new URL(t.sidecar.url).hostname).toBe("127.0.0.1");
  });
});

describe("the explorer's static files", () => {
  it("answer 404 saying how to build them when dist/explorer is missing, with the same headers", async () => {
    const app = express().use(explorerPage(join(tmpdir(), "b2b-authz-no-explorer-here")));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/explorer/`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("npm run build");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    } finally {
      server.close();
    }
  });
});
