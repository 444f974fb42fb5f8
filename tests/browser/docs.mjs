// Opens the interactive docs in Debian's headless Chromium, with every request off loopback refused,
// checks every operation is listed, runs GET /posts from the page and sees its response, and saves a
// screenshot. Usage: BLOG_API_URL=http://127.0.0.1:8080 SCREENSHOT=../../docs/swagger-ui.png node docs.mjs
import { chromium } from "playwright-core";

const base = process.env.BLOG_API_URL ?? "http://127.0.0.1:8080";
const screenshot = process.env.SCREENSHOT ?? "swagger-ui.png";
const fail = (message) => {
  console.error(`FAIL: ${message}`);
  process.exit(1);
};

const document = await (await fetch(`${base}/openapi.json`)).json();
const methods = ["get", "post", "put", "patch", "delete"];
const operations = Object.values(document.paths).flatMap((item) => Object.keys(item).filter((key) => methods.includes(key)));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  const refused = [];
  await page.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === "127.0.0.1" || host === "localhost") return route.continue();
    refused.push(route.request().url());
    return route.abort();
  });
  await page.goto(`${base}/docs/`);
  await page.waitForSelector(".opblock", { timeout: 30_000 });
  const listed = await page.locator(".opblock").count();
  if (listed !== operations.length) fail(`${listed} operations listed, the document has ${operations.length}`);

  const listPosts = page.locator(".opblock-get", { has: page.locator('[data-path="/posts"]') }).first();
  await listPosts.locator(".opblock-summary").click();
  await listPosts.locator("button.execute").click();
  const status = listPosts.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor({ timeout: 30_000 });
  const code = (await status.innerText()).trim();
  if (code !== "200") fail(`GET /posts from the page answered ${code}`);
  const body = await listPosts.locator(".live-responses-table .highlight-code").first().innerText();
  if (!body.includes('"meta"')) fail("the response body shown has no meta");
  await status.scrollIntoViewIfNeeded();
  await page.mouse.wheel(0, 300);
  await page.screenshot({ path: screenshot, fullPage: false });
  if (refused.length > 0) fail(`the page tried to reach beyond loopback: ${refused.join(", ")}`);
  console.log(`docs page: ${listed} operations listed, GET /posts executed from the page (200); screenshot ${screenshot}`);
} finally {
  await browser.close();
}
