// Drives the built SPA (dist/) in Debian's headless Chromium against a live API, at desktop and phone sizes,
// with every request that is not to the SPA's own origin or the API refused (and both on loopback): scrolls
// by cursor, filters by tag and category, searches, opens a post twice (its count, the API's, one more each
// time, without a reload), follows its byline to the author's page, posts a comment, and saves screenshots.
//
// Usage: BLOG_API_URL=http://127.0.0.1:8080 [BLOG_API_TOKEN=...] [SCREENSHOTS=../../docs] [SPA_PORT=...]
//        node test/browser.mjs
import { createServer } from "node:http";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateSync, gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const api = (process.env.BLOG_API_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
const token = process.env.BLOG_API_TOKEN;
const root = resolve(fileURLToPath(import.meta.url), "../..");
const dist = join(root, "dist");
const screenshots = resolve(process.env.SCREENSHOTS ?? join(root, "test-results"));
// A desktop Chrome's User-Agent: headless Chromium names itself HeadlessChrome, which the API rightly
// takes for a bot whose reads are not views.
const userAgent =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const phoneAgent =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36";

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}
function check(condition, message) {
  if (!condition) fail(message);
}

/** The API as a test reads it: as a bot, so nothing it reads counts as a view. */
async function apiGet(path) {
  const response = await fetch(`${api}${path}`, { headers: { "user-agent": "blog-api-spa-test-bot/1.0" } });
  check(response.ok, `GET ${path} answered ${response.status}`);
  return response.json();
}

/** A `width` x `height` PNG of a colour gradient, made here (no image file is needed). */
function gradientPng(width, height) {
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x += 1) {
      row[1 + x * 3] = Math.round((255 * x) / width);
      row[2 + x * 3] = Math.round((255 * y) / height);
      row[3 + x * 3] = 160;
    }
    rows.push(row);
  }
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// With a token: the newest post gets a feature image uploaded here, so the list and the post show one.
let covered = null;
if (token) {
  const form = new FormData();
  form.append("file", new Blob([gradientPng(1200, 800)], { type: "image/png" }), "cover.png");
  form.append("alt", "A gradient");
  const uploaded = await fetch(`${api}/media`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  check(uploaded.status === 201, `POST /media answered ${uploaded.status}`);
  const media = await uploaded.json();
  const newest = (await apiGet("/posts?per_page=1&fields=id")).data[0].id;
  const set = await fetch(`${api}/posts/${newest}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ feature_image_id: media.id }),
  });
  check(set.ok, `PATCH /posts/${newest} answered ${set.status}`);
  covered = { post: newest, media };
}

// The production build: every file, and what it weighs gzipped.
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
};
walk(dist);
const gzipped = files.reduce((total, path) => total + gzipSync(readFileSync(path), { level: 9 }).length, 0);
console.log(`SPA build: ${files.length} files, ${(gzipped / 1024).toFixed(1)} KiB gzipped in all`);
check(gzipped < 50 * 1024, `the build weighs ${gzipped} bytes gzipped, over the 50 KiB budget`);

// The built SPA on its own origin.
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
const server = createServer((request, response) => {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  const file = join(dist, path === "/" ? "index.html" : path);
  if (!file.startsWith(dist)) return response.writeHead(403).end();
  try {
    const content = readFileSync(file);
    response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(content);
  } catch {
    response.writeHead(404).end();
  }
});
// SPA_PORT: a fixed port, so that the API can allow exactly this origin (CORS_ORIGINS); default any free one.
await new Promise((done) => server.listen(Number(process.env.SPA_PORT ?? 0), "127.0.0.1", done));
const spa = `http://127.0.0.1:${server.address().port}`;
const allowed = new Set([new URL(spa).origin, new URL(api).origin]);
for (const origin of allowed) check(new URL(origin).hostname === "127.0.0.1", `${origin} is not loopback`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});

/** A browser context that refuses every request beyond the SPA and the API, and records the list's. */
async function context(options) {
  const made = await browser.newContext(options);
  const refused = [];
  const listRequests = [];
  await made.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (!allowed.has(url.origin)) {
      refused.push(url.href);
      return route.abort();
    }
    if (url.origin === new URL(api).origin && url.pathname === "/posts") listRequests.push(url);
    return route.continue();
  });
  return { made, refused, listRequests };
}

const shownIds = (page) =>
  page.locator("#posts .post-card").evaluateAll((cards) => cards.map((card) => Number(card.dataset.postId)));

/** Waits until the list shows what the API's first page of `query` holds, in order. */
async function listMatches(page, query, what) {
  const expected = (await apiGet(`/posts?per_page=10&fields=id&${query}`)).data.map((post) => post.id);
  check(expected.length > 0, `${what}: the API has posts for ${query}`);
  await page.waitForFunction(
    (ids) => {
      const cards = [...document.querySelectorAll("#posts .post-card")].map((card) => Number(card.dataset.postId));
      return ids.every((id, index) => cards[index] === id) && cards.length >= ids.length;
    },
    expected,
    { timeout: 15_000 },
  ).catch(() => fail(`${what}: the list does not show the API's page for ${query}`));
  return expected;
}

async function clicksShown(page) {
  await page.locator("#post-clicks[data-clicks]").waitFor({ timeout: 15_000 });
  return Number(await page.locator("#post-clicks").getAttribute("data-clicks"));
}

try {
  // Desktop.
  const desktop = await context({ viewport: { width: 1280, height: 900 }, userAgent });
  const page = await desktop.made.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(spa);
  await page.locator("#posts .post-card").nth(9).waitFor({ timeout: 15_000 });
  await page.evaluate(() => {
    window.__sameDocument = true;
  });

  // The feature image: a srcset of the API's variants, its size reserved, loaded from the API.
  if (covered) {
    const image = page.locator(`[data-post-id="${covered.post}"] img.feature-image`);
    await image.waitFor({ timeout: 15_000 });
    const srcset = await image.getAttribute("srcset");
    for (const variant of covered.media.variants.filter((v) => v.format === "webp")) {
      check(srcset.includes(`${variant.url} ${variant.width}w`), `the srcset names the ${variant.width}w WebP: ${srcset}`);
    }
    check(await image.getAttribute("width") === "1200" && await image.getAttribute("height") === "800", "its size is reserved");
    check(await image.getAttribute("alt") === "A gradient", "its alt text is the media's");
    await page.waitForFunction((id) => {
      const img = document.querySelector(`[data-post-id="${id}"] img.feature-image`);
      return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
    }, covered.post, { timeout: 15_000 }).catch(() => fail("the feature image did not load"));
    const chosen = await image.evaluate((img) => img.currentSrc);
    check(chosen.endsWith(".webp"), `the browser picked a WebP variant: ${chosen}`);
  }

  // Infinite scroll: each page by the cursor of the one before, no post twice.
  for (let round = 0; round < 20 && (await page.locator("#posts .post-card").count()) < 40; round += 1) {
    await page.locator("#sentinel").scrollIntoViewIfNeeded();
    await page.waitForTimeout(150);
  }
  const scrolled = await shownIds(page);
  check(scrolled.length >= 40, `scrolling loaded ${scrolled.length} posts`);
  check(new Set(scrolled).size === scrolled.length, "no post twice while scrolling");
  const firstPages = (await apiGet("/posts?per_page=40&fields=id")).data.map((post) => post.id);
  check(firstPages.every((id, index) => scrolled[index] === id), "the scrolled list is the API's, in order");
  const byCursor = desktop.listRequests.filter((url) => url.searchParams.has("cursor") && !url.searchParams.has("window"));
  check(byCursor.length >= 3, `later pages asked by cursor (${byCursor.length} requests)`);

  // Filters and search, each the API's own answer.
  const tag = await page.locator("#tag-filter option").nth(1).getAttribute("value");
  await page.selectOption("#tag-filter", tag);
  await listMatches(page, `tag=${tag}`, "tag filter");
  await page.selectOption("#tag-filter", "");
  const category = await page.locator("#category-filter option").nth(1).getAttribute("value");
  await page.selectOption("#category-filter", category);
  await listMatches(page, `category=${category}`, "category filter");
  await page.selectOption("#category-filter", "");
  const title = (await apiGet("/posts?per_page=1&fields=title")).data[0].title;
  const word = title.split(/\s+/).find((candidate) => /^[A-Za-z]{5,}$/.test(candidate)) ?? title.split(/\s+/)[0];
  await page.fill("#search", word);
  await page.press("#search", "Enter");
  await listMatches(page, `q=${encodeURIComponent(word)}`, "search");
  check((await page.locator("#list-heading").innerText()).includes(word), "the heading names the search");
  // Highlighted results: the first card's title is the API's highlights, the word marked.
  const highlighted = (await apiGet(`/posts?per_page=1&fields=highlights&q=${encodeURIComponent(word)}`)).data[0].highlights;
  const shownTitle = await page.locator("#posts .post-card h2 a").first().innerHTML();
  check(shownTitle === highlighted.title, `the result's title is the API's highlights: ${shownTitle}`);
  const marked = await page.locator("#posts .post-card h2 mark").first().innerText();
  check(marked.toLowerCase() === word.toLowerCase(), `the matched word is marked: ${marked}`);
  check((await page.locator("#posts .post-card .excerpt mark").count()) > 0 || !highlighted.excerpt.includes("<mark>"),
    "the excerpt marks the matched words");

  // Suggestions while typing (over the highlighted results): the API's, in its order; the arrow keys and
  // Enter open a post.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.fill("#search", "");
  const prefix = word.slice(0, 4).toLowerCase();
  const suggestions = (await apiGet(`/search/suggest?q=${encodeURIComponent(prefix)}&limit=6`)).data;
  check(suggestions.length > 0, `the API suggests something for "${prefix}"`);
  await page.locator("#search").pressSequentially(prefix, { delay: 40 });
  await page.waitForFunction(
    (titles) => {
      const shown = [...document.querySelectorAll("#suggestions li")].map((li) => li.lastElementChild.textContent);
      return shown.length === titles.length && titles.every((title, at) => shown[at] === title);
    },
    suggestions.map((item) => item.title),
    { timeout: 15_000 },
  ).catch(() => fail(`the suggestions for "${prefix}" are not the API's`));
  check(await page.locator("#search").getAttribute("aria-expanded") === "true", "the combobox says it is open");
  await page.screenshot({ path: join(screenshots, "spa-search.png") });
  const firstPost = suggestions.findIndex((item) => item.kind === "post");
  if (firstPost >= 0) {
    for (let step = 0; step <= firstPost; step += 1) await page.press("#search", "ArrowDown");
    await page.press("#search", "Enter");
    await page.waitForFunction((id) => window.location.hash === `#/posts/${id}`, suggestions[firstPost].id, { timeout: 15_000 })
      .catch(() => fail("choosing a post suggestion does not open it"));
    await page.locator("#post-view:not([hidden])").waitFor();
    await page.goBack();
    await page.locator("#list-view:not([hidden])").waitFor();
  }
  await page.fill("#search", "");
  check(await page.locator("#suggestions").isHidden(), "the suggestions close");
  await page.press("#search", "Enter");
  await listMatches(page, "", "the whole list again");

  await page.locator("#popular li").nth(4).waitFor({ timeout: 15_000 });

  // Open a post from the list: its count is the API's; again from the list: one more, no reload.
  const card = page.locator("#posts .post-card").first();
  const id = Number(await card.getAttribute("data-post-id"));
  await card.locator("h2 a").click();
  await page.locator("#post-view:not([hidden])").waitFor();
  const first = await clicksShown(page);
  const fromApi = (await apiGet(`/posts/${id}?fields=clicks`)).clicks;
  check(first === fromApi, `the page shows ${first} views, the API says ${fromApi}`);
  await page.locator("#related li").first().waitFor();
  await page.locator("#comments li").first().waitFor();
  check((await page.locator("#post-reading").innerText()).includes("min read"), "the reading time is shown");
  await page.click("a.back");
  await page.locator("#list-view:not([hidden])").waitFor();
  check((await page.locator(`[data-post-id="${id}"] .card-clicks`).innerText()).startsWith(`${first} `), "the list shows the count seen");
  await page.locator(`[data-post-id="${id}"] h2 a`).click();
  await page.waitForFunction((before) => Number(document.querySelector("#post-clicks")?.dataset.clicks) === before + 1, first, { timeout: 15_000 })
    .catch(() => fail("opening the post again does not show one more view"));
  const second = await clicksShown(page);
  check(second === first + 1, `the second opening shows ${second}, after ${first}`);
  check((await apiGet(`/posts/${id}?fields=clicks`)).clicks === second, "the API agrees with the second count");
  check(await page.evaluate(() => window.__sameDocument === true), "the page was not reloaded");

  // The open post follows its count live: a click made elsewhere shows within seconds, with no reload.
  const beacon = await fetch(`${api}/posts/${id}/clicks`, {
    method: "POST",
    headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0" },
  });
  check(beacon.ok, `the beacon answered ${beacon.status}`);
  const { clicks: elsewhere } = await beacon.json();
  check(elsewhere === second + 1, `the beacon counted one more (${elsewhere} after ${second})`);
  await page.waitForFunction((expected) => Number(document.querySelector("#post-clicks")?.dataset.clicks) === expected, elsewhere, { timeout: 10_000 })
    .catch(() => fail("a click made elsewhere does not show on the open post"));

  // The byline names the post's authors, in the API's order, each linking to the author's page: their name,
  // and the API's list of their posts.
  const authors = (await apiGet(`/posts/${id}?fields=authors`)).authors;
  check(authors.length > 0, `post ${id} names its authors`);
  const shownAuthors = await page.locator("#post-byline a.author-link").allInnerTexts();
  check(
    shownAuthors.join("|") === authors.map((author) => author.name).join("|"),
    `the byline shows ${shownAuthors.join(", ")}, the API says ${authors.map((author) => author.name).join(", ")}`,
  );
  await page.locator("#post-byline a.author-link").first().click();
  await page.waitForURL(`**/#/authors/${authors[0].slug}`);
  await page.locator("#list-view:not([hidden])").waitFor();
  const byAuthor = await listMatches(page, `author=${authors[0].slug}`, "author page");
  check(byAuthor.includes(id), "the author's page lists the post it came from");
  await page.locator("#list-heading", { hasText: `Posts by ${authors[0].name}` }).waitFor({ timeout: 15_000 });
  const onCards = await page.locator("#posts .post-card").first().locator("a.author-link").allInnerTexts();
  check(onCards.includes(authors[0].name), `the author's posts name the author (${onCards.join(", ")})`);
  await page.goBack();
  await page.locator("#post-view:not([hidden])").waitFor();
  await clicksShown(page);

  // A comment: accepted, pending moderation.
  const marker = `Browser test comment ${Date.now()}`;
  await page.fill("#comment-name", "Playwright");
  await page.fill("#comment-body", marker);
  await page.click("#comment-form button[type=submit]");
  await page.locator("#comment-status", { hasText: "awaiting moderation" }).waitFor({ timeout: 15_000 });
  if (token) {
    const pending = await (await fetch(`${api}/posts/${id}/comments?status=pending&per_page=100`, {
      headers: { authorization: `Bearer ${token}` },
    })).json();
    check(pending.data.some((comment) => comment.body === marker), "the comment is in the moderation queue");
  }
  // Approved comments are what readers see: the new one is not among them yet.
  check(!(await page.locator("#comments").innerText()).includes(marker), "a pending comment is not shown");

  // An error answer is shown, not thrown away.
  await page.goto(`${spa}/#/posts/999999999`);
  await page.locator("#error:not([hidden])").waitFor({ timeout: 15_000 });
  check((await page.locator("#error").innerText()).includes("Not Found"), "a missing post says so");

  await page.goto(spa);
  await page.locator("#posts .post-card").nth(5).waitFor();
  await page.locator("#popular li").nth(4).waitFor();
  if (covered) await page.locator(`[data-post-id="${covered.post}"] img.feature-image`).waitFor();
  await page.screenshot({ path: join(screenshots, "spa-desktop.png") });
  check(errors.length === 0, `errors on the page: ${errors.join("; ")}`);
  check(desktop.refused.length === 0, `the page tried to reach beyond its origin and the API: ${desktop.refused.join(", ")}`);

  // Phone.
  const phone = await context({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    userAgent: phoneAgent,
  });
  const small = await phone.made.newPage();
  await small.goto(spa);
  await small.locator("#posts .post-card").nth(3).waitFor({ timeout: 15_000 });
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the phone layout scrolls sideways by ${overflow}px`);
  const landmarks = await small.evaluate(() => ["header", "nav", "main", "aside", "footer"].every((tag) => document.querySelector(tag)));
  check(landmarks, "banner, navigation, main, complementary and contentinfo landmarks");
  await small.screenshot({ path: join(screenshots, "spa-phone.png") });
  await small.locator("#posts .post-card h2 a").first().click();
  const phoneClicks = await clicksShown(small);
  const phoneId = Number(new URL(small.url()).hash.split("/").pop());
  check(phoneClicks === (await apiGet(`/posts/${phoneId}?fields=clicks`)).clicks, "the phone shows the API's count");
  const postOverflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(postOverflow <= 0, `a post scrolls sideways on a phone by ${postOverflow}px`);
  await small.screenshot({ path: join(screenshots, "spa-phone-post.png") });
  check(phone.refused.length === 0, `the phone page tried to reach beyond its origin and the API: ${phone.refused.join(", ")}`);

  console.log(
    `SPA in Chromium: scrolled ${scrolled.length} posts by cursor, filtered by #${tag} and ${category}, searched ` +
      `"${word}" (highlighted) and was offered suggestions, opened post ${id} twice (${first} then ${second} views, as the API says), went to its author's page, commented${covered ? `, showed post ${covered.post}'s feature image by srcset` : ""}; ` +
      `desktop and phone screenshots in ${screenshots}`,
  );
} finally {
  await browser.close();
  server.close();
}
