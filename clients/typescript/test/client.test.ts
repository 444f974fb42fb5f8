// Unit tests of the client against a live server: BLOG_API_URL (with the sample blog imported), and for
// writes BLOG_API_TOKEN. Without BLOG_API_URL they are skipped (and say so).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  ApiProblem,
  body,
  contentEvents,
  createBlogClient,
  liveCount,
  SyncedContent,
  type ContentEvent,
  type LiveCount,
} from "../src/index.js";
import { FetchEventSource } from "./event-source.js";
import { cardLine } from "./usage.js";

const baseUrl = process.env.BLOG_API_URL;
const token = process.env.BLOG_API_TOKEN;
const live = { skip: baseUrl ? false : "BLOG_API_URL is not set: no live server to test against" };

describe("the client against a live server", live, () => {
  const api = createBlogClient({ baseUrl: baseUrl ?? "" });

  it("lists posts by cursor, each page after the last", async () => {
    const first = body(await api.GET("/posts", { params: { query: { per_page: 3 } } }));
    assert.equal(first.data.length, 3);
    assert.ok(first.meta.total >= 3);
    const cursor = first.meta.next_cursor;
    assert.ok(cursor, "a next cursor");
    const second = body(await api.GET("/posts", { params: { query: { per_page: 3, cursor } } }));
    assert.equal(second.meta.page, null, "cursor pages have no number");
    const seen = new Set(first.data.map((post) => post.id));
    assert.ok(second.data.every((post) => !seen.has(post.id)), "no post twice");
  });

  it("asks for fields as one comma-separated parameter", async () => {
    const page = body(await api.GET("/posts", { params: { query: { per_page: 2, fields: ["id", "title"] } } }));
    for (const post of page.data) {
      assert.deepEqual(Object.keys(post).sort(), ["id", "title"]);
      assert.equal(typeof cardLine(post), "string");
    }
  });

  it("throws a typed ApiProblem for a bad parameter, naming it", async () => {
    await assert.rejects(
      api.GET("/posts", { params: { query: { per_page: 0 } } }),
      (error: unknown) => {
        assert.ok(error instanceof ApiProblem);
        assert.equal(error.status, 400);
        assert.equal(error.type, "urn:blog-api:problem:invalid-parameter");
        assert.ok(error.errors.per_page?.[0]?.includes("1 to 100"));
        assert.ok(error.requestId, "the request's id, to report");
        return true;
      },
    );
  });

  it("throws ApiProblem 404 for a post that does not exist", async () => {
    await assert.rejects(api.GET("/posts/{id}", { params: { path: { id: 999_999_999 } } }), (error: unknown) => {
      assert.ok(error instanceof ApiProblem);
      assert.equal(error.status, 404);
      return true;
    });
  });

  it("counts a beacon click, one more each time", async () => {
    const [post] = body(await api.GET("/posts", { params: { query: { per_page: 1, fields: ["id"] } } })).data;
    assert.ok(post);
    const path = { params: { path: { id: post.id } } };
    const before = body(await api.POST("/posts/{id}/clicks", path));
    const after = body(await api.POST("/posts/{id}/clicks", path));
    assert.equal(after.clicks, before.clicks + 1);
  });

  it("follows a post's count live: the count at once, then each new one", async () => {
    const [post] = body(await api.GET("/posts", { params: { query: { per_page: 1, fields: ["id"] } } })).data;
    assert.ok(post);
    const counts: LiveCount[] = [];
    let heard: () => void = () => {};
    const stop = liveCount({
      baseUrl: baseUrl ?? "",
      id: post.id,
      EventSource: FetchEventSource,
      onCount: (count) => {
        counts.push(count);
        heard();
      },
    });
    const next = () => new Promise<void>((resolve) => (heard = resolve));
    try {
      await next();
      const first = counts[0];
      assert.ok(first);
      assert.equal(first.id, post.id);
      const clicked = body(await api.POST("/posts/{id}/clicks", { params: { path: { id: post.id } } }));
      while (counts.at(-1)?.clicks !== clicked.clicks) await next();
      assert.ok(clicked.clicks > first.clicks);
    } finally {
      stop();
    }
  });

  it("keeps an offline copy by delta sync, starting again after a refused token", async () => {
    const content = new SyncedContent();
    await content.sync(api);
    const listed = body(await api.GET("/posts", { params: { query: { per_page: 1 } } }));
    assert.equal(content.posts.size, listed.meta.total);
    const categories = body(await api.GET("/categories", { params: { query: { per_page: 100 } } }));
    assert.equal(content.categories.size, categories.meta.total);
    assert.ok(content.token, "a token to keep");
    const before = content.token;
    await content.sync(api);
    assert.equal(content.posts.size, listed.meta.total, "nothing changed");
    assert.ok(content.token);
    content.token = `${before}x`;
    await content.sync(api);
    assert.equal(content.posts.size, listed.meta.total, "started again from nothing");
  });

  it("hears a content event, and a reset for an id it cannot resume", { skip: token ? false : "BLOG_API_TOKEN is not set" }, async () => {
    const editor = createBlogClient({ baseUrl: baseUrl ?? "", token: token ?? "" });
    const heard: ContentEvent[] = [];
    let resets = 0;
    let wake: () => void = () => {};
    const stop = contentEvents({
      baseUrl: baseUrl ?? "",
      lastEventId: "not-an-id",
      EventSource: FetchEventSource,
      onEvent: (event) => {
        heard.push(event);
        wake();
      },
      onReset: () => {
        resets += 1;
        wake();
      },
    });
    const next = () => new Promise<void>((resolve) => (wake = resolve));
    try {
      while (resets === 0) await next();
      const name = `client-test-${Date.now()}`;
      const made = body(await editor.POST("/tags", { body: { name } }));
      while (!heard.some((event) => event.type === "taxonomy.changed" && event.data.id === made.id)) await next();
      const event = heard.at(-1);
      assert.ok(event && Number(event.id) > 0, "an id to resume after");
      await editor.DELETE("/tags/{id}", { params: { path: { id: made.id } } });
    } finally {
      stop();
    }
  });

  it("reports every bad field of a write at once", { skip: token ? false : "BLOG_API_TOKEN is not set" }, async () => {
    const editor = createBlogClient({ baseUrl: baseUrl ?? "", token: token ?? "" });
    await assert.rejects(
      editor.POST("/posts", { body: { title: "", author: "Ada", body_markdown: "Words.", tags: ["no-such-tag-anywhere"] } }),
      (error: unknown) => {
        assert.ok(error instanceof ApiProblem);
        assert.equal(error.status, 422);
        assert.deepEqual(Object.keys(error.errors).sort(), ["tags", "title"]);
        return true;
      },
    );
  });
});
