// The blog-api client: the types openapi-typescript generates from openapi/openapi.json (src/schema.d.ts,
// never edited by hand: `npm run generate`), and a thin fetch client from openapi-fetch over them. Every
// path, parameter and body is checked against the document at compile time; an error answer (RFC 9457
// problem+json) is thrown as an `ApiProblem`.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };

type Schemas = components["schemas"];
export type PostSummary = Schemas["PostSummary"];
export type PostDetail = Schemas["PostDetail"];
export type CommentView = Schemas["CommentView"];
export type TaxonomyItem = Schemas["TaxonomyItem"];
export type PageMeta = Schemas["PageMeta"];
export type Problem = Schemas["Problem"];
export type Media = Schemas["Media"];
export type Suggestion = Schemas["Suggestion"];
export type Highlights = Schemas["Highlights"];
export type Facets = Schemas["Facets"];
export type LiveCount = Schemas["LiveCount"];
export type SyncPage = Schemas["SyncPage"];
export type StreamReset = Schemas["StreamReset"];
export type Author = Schemas["Author"];

/** An error answer of the API: its problem document, typed. */
export class ApiProblem extends Error {
  readonly status: number;
  /** `urn:blog-api:problem:<kind>`: stable, for matching on. */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** Invalid fields or parameters, each with its messages (400 and 422). */
  readonly errors: Record<string, string[]>;
  /** The request's id, to quote when reporting it. */
  readonly requestId: string | null;

  constructor(problem: Problem, requestId: string | null) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = "ApiProblem";
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? {};
    this.requestId = requestId;
  }
}

/** Whether `value` has the shape of a problem document. */
function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.status === "number" &&
    typeof record.type === "string" &&
    typeof record.title === "string" &&
    typeof record.detail === "string"
  );
}

/** Turns every 4xx/5xx answer into a thrown `ApiProblem` (a body that is no problem document still throws). */
const problems: Middleware = {
  async onResponse({ response }) {
    if (response.status < 400) return undefined;
    const requestId = response.headers.get("x-request-id");
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => null);
    const problem: Problem = isProblem(body)
      ? body
      : {
          status: response.status,
          type: "about:blank",
          title: response.statusText || "Error",
          detail: `the server answered ${response.status} without a problem document`,
        };
    throw new ApiProblem(problem, requestId);
  },
};

export interface BlogClientOptions {
  /** Where the API is, like `https://api.blog.example.com` (no trailing slash needed). */
  baseUrl: string;
  /** An editor's token: writes, drafts, the moderation queue, webhooks. Never give one to a browser app. */
  token?: string;
  /** Another `fetch` (tests, server-side rendering). */
  fetch?: typeof globalThis.fetch;
}

export type BlogClient = Client<paths>;

/**
 * A client of the API at `baseUrl`:
 *
 * ```ts
 * const api = createBlogClient({ baseUrl: "http://127.0.0.1:8080" });
 * const { data } = await api.GET("/posts/{id}", { params: { path: { id: 1 } } });
 * ```
 *
 * Answers below 400 resolve (`data` is typed by the document); error answers reject with `ApiProblem`.
 */
export function createBlogClient(options: BlogClientOptions): BlogClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
    // The API takes a list as one comma-separated parameter (`fields=id,title`) and refuses repeats.
    querySerializer: { array: { style: "form", explode: false } },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(problems);
  return client;
}

/** The body of a successful answer (`data`), which a 304 or a `HEAD` leave out: then this throws. */
export function body<T>(result: { data?: T; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`no body in the ${result.response.status} answer`);
  }
  return result.data;
}

/** What the live helpers need of `EventSource`: the browser's own, or one passed in (Node before 22). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
  onerror: ((event: Event) => void) | null;
}

/** An `EventSource` constructor (`globalThis.EventSource` by default). */
export type EventSourceConstructor = new (url: string) => EventSourceLike;

export interface LiveCountOptions {
  /** Where the API is, like `https://api.blog.example.com`. */
  baseUrl: string;
  /** A published post's id. */
  id: number;
  /** Called with the count at once, then with each new count (at most once a second). */
  onCount: (count: LiveCount) => void;
  /** Called when the stream fails; `EventSource` reconnects by itself unless the answer was an error status. */
  onError?: (event: Event) => void;
  /** Another `EventSource` (a polyfill in Node before 22, a test's). */
  EventSource?: EventSourceConstructor;
}

/**
 * Follows a post's click count live (`GET /posts/{id}/live`); returns a function that stops listening.
 *
 * ```ts
 * const stop = liveCount({ baseUrl, id: 1, onCount: ({ clicks }) => (counter.textContent = String(clicks)) });
 * ```
 */
export function liveCount(options: LiveCountOptions): () => void {
  const source = openEventSource(options.baseUrl, `/posts/${options.id}/live`, options.EventSource);
  source.addEventListener("count", (event) => options.onCount(JSON.parse(event.data) as LiveCount));
  if (options.onError) source.onerror = options.onError;
  return () => source.close();
}

/** The public content events `GET /events` carries (the webhook event types readers may hear of). */
export const CONTENT_EVENTS = [
  "post.published",
  "post.updated",
  "post.unpublished",
  "post.deleted",
  "taxonomy.changed",
  "comment.approved",
  "author.created",
  "author.updated",
  "author.deleted",
] as const;
export type ContentEventType = (typeof CONTENT_EVENTS)[number];

/** One content event: the webhook body, and its place in the stream (its `id`, to resume after). */
export interface ContentEvent {
  type: ContentEventType;
  timestamp: string;
  /** What changed, as the webhook of that type says it (`{id, slug, title, ...}` for a post). */
  data: Record<string, unknown>;
  id: string;
}

export interface ContentEventsOptions {
  baseUrl: string;
  /** Called with each event, in order. */
  onEvent: (event: ContentEvent) => void;
  /** The stream could not resume where the client left it: resync (`SyncedContent.sync`), events go on. */
  onReset?: (reset: StreamReset) => void;
  /** Resume after this event id (one stored from an earlier session); `EventSource` resumes by itself after that. */
  lastEventId?: string;
  onError?: (event: Event) => void;
  EventSource?: EventSourceConstructor;
}

/**
 * Follows the public content events (`GET /events`); returns a function that stops listening. `EventSource`
 * reconnects with `Last-Event-ID` by itself, to any instance, and misses nothing the outbox keeps.
 */
export function contentEvents(options: ContentEventsOptions): () => void {
  const path = options.lastEventId ? `/events?last_event_id=${encodeURIComponent(options.lastEventId)}` : "/events";
  const source = openEventSource(options.baseUrl, path, options.EventSource);
  for (const type of CONTENT_EVENTS) {
    source.addEventListener(type, (event) => {
      const body = JSON.parse(event.data) as Omit<ContentEvent, "id">;
      options.onEvent({ ...body, id: event.lastEventId });
    });
  }
  source.addEventListener("reset", (event) => options.onReset?.(JSON.parse(event.data) as StreamReset));
  if (options.onError) source.onerror = options.onError;
  return () => source.close();
}

function openEventSource(baseUrl: string, path: string, given?: EventSourceConstructor): EventSourceLike {
  const Source = given ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (!Source) {
    throw new Error("no EventSource in this runtime: pass one (`EventSource` option), as Node before 22 needs");
  }
  return new Source(`${baseUrl.replace(/\/+$/, "")}${path}`);
}

/**
 * One delta sync (`GET /sync`): every page from `since` (from nothing when absent) until `has_more` is
 * false, each handed to `apply` in order; resolves to the token to keep for next time. A token the API
 * refuses (410: changed, or older than the deletions it keeps) rejects with that `ApiProblem`: start again
 * without `since` and replace what you hold.
 */
export async function syncPages(
  api: BlogClient,
  since: string | undefined,
  apply: (page: SyncPage) => void | Promise<void>,
): Promise<string> {
  let token = since;
  for (;;) {
    const page = body(await api.GET("/sync", { params: { query: token === undefined ? {} : { since: token } } }));
    await apply(page);
    token = page.meta.next_sync_token;
    if (!page.meta.has_more) return token;
  }
}

/** What an offline app holds, kept by `sync()`: the published posts, categories, tags and authors by id. */
export class SyncedContent {
  readonly posts = new Map<number, PostDetail>();
  readonly categories = new Map<number, TaxonomyItem>();
  readonly tags = new Map<number, TaxonomyItem>();
  readonly authors = new Map<number, Author>();
  /** The token of the last complete sync (store it with the content). */
  token: string | undefined;

  /** Applies one page: its deletions first, then its rows. */
  apply(page: SyncPage): void {
    for (const id of page.deleted.posts) this.posts.delete(id);
    for (const id of page.deleted.categories) this.categories.delete(id);
    for (const id of page.deleted.tags) this.tags.delete(id);
    for (const id of page.deleted.authors) this.authors.delete(id);
    for (const post of page.data.posts) this.posts.set(post.id, post);
    for (const category of page.data.categories) this.categories.set(category.id, category);
    for (const tag of page.data.tags) this.tags.set(tag.id, tag);
    for (const author of page.data.authors) this.authors.set(author.id, author);
  }

  /** Brings the content up to date; after a 410 it starts again from nothing. */
  async sync(api: BlogClient): Promise<void> {
    try {
      this.token = await syncPages(api, this.token, (page) => this.apply(page));
    } catch (error) {
      if (!(error instanceof ApiProblem) || error.status !== 410) throw error;
      this.posts.clear();
      this.categories.clear();
      this.tags.clear();
      this.authors.clear();
      this.token = await syncPages(api, undefined, (page) => this.apply(page));
    }
  }
}
