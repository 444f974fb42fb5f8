// An example blog front end on blog-api, in plain TypeScript (no framework: the page is a list, a post and a
// form). It reads the API through the typed client generated from the OpenAPI document.
import "./style.css";
import { decode } from "blurhash";
import {
  ApiProblem,
  body,
  createBlogClient,
  liveCount,
  type Media,
  type PostSummary,
  type Suggestion,
} from "../../../clients/typescript/src/index";

/** Where the API is: `VITE_BLOG_API_URL` at build time (another origin; the API answers CORS). */
const API_URL: string = import.meta.env.VITE_BLOG_API_URL ?? "http://127.0.0.1:8080";
const PAGE_SIZE = 10;
const LIST_FIELDS = [
  "id", "title", "excerpt", "author", "authors", "published_at", "reading_time_minutes", "clicks", "tags", "category",
  "feature_image",
] as const;

const api = createBlogClient({ baseUrl: API_URL });

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
};

const view = {
  list: element<HTMLElement>("list-view"),
  heading: element<HTMLHeadingElement>("list-heading"),
  authorProfile: element<HTMLDivElement>("author-profile"),
  authorBio: element<HTMLDivElement>("author-bio"),
  authorWebsite: element<HTMLParagraphElement>("author-website"),
  summary: element<HTMLParagraphElement>("list-summary"),
  posts: element<HTMLOListElement>("posts"),
  end: element<HTMLParagraphElement>("list-end"),
  sentinel: element<HTMLDivElement>("sentinel"),
  post: element<HTMLElement>("post-view"),
  title: element<HTMLHeadingElement>("post-title"),
  byline: element<HTMLSpanElement>("post-byline"),
  reading: element<HTMLSpanElement>("post-reading"),
  clicks: element<HTMLSpanElement>("post-clicks"),
  body: element<HTMLDivElement>("post-body"),
  cover: element<HTMLDivElement>("post-cover"),
  related: element<HTMLUListElement>("related"),
  comments: element<HTMLOListElement>("comments"),
  commentForm: element<HTMLFormElement>("comment-form"),
  commentStatus: element<HTMLParagraphElement>("comment-status"),
  popular: element<HTMLOListElement>("popular"),
  error: element<HTMLParagraphElement>("error"),
  search: element<HTMLInputElement>("search"),
  suggestions: element<HTMLUListElement>("suggestions"),
  searchForm: element<HTMLFormElement>("search-form"),
  category: element<HTMLSelectElement>("category-filter"),
  tag: element<HTMLSelectElement>("tag-filter"),
};

/** What the list shows: a search, the two filters, and the author whose page it is (`#/authors/{slug}`). */
const filters = { q: "", category: "", tag: "", author: "" };
/** The name of the author whose page is shown, for the heading. */
let authorName = "";
/** The list's scroll position: `undefined` before the first page, `null` after the last. */
let cursor: string | null | undefined;
let loading = false;
/** Bumped whenever the list starts over, so that an answer to an older list is dropped. */
let generation = 0;
/** The post on show, for the comment form. */
let openPost: number | null = null;

function text(tag: string, content: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function showError(error: unknown): void {
  const message =
    error instanceof ApiProblem ? `${error.title}: ${error.detail}` : "The blog could not be reached. Try again.";
  view.error.textContent = message;
  view.error.hidden = false;
}

const views = (clicks: number | undefined): string => `${clicks ?? 0} ${clicks === 1 ? "view" : "views"}`;
const date = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleDateString() : "");

/** A media URL as the browser fetches it: the API's own paths are on the API's origin. */
const mediaUrl = (url: string): string => new URL(url, API_URL).href;

/** The blurhash painted as a tiny picture, shown until the image itself arrives. */
function placeholder(hash: string): string {
  try {
    const pixels = decode(hash, 32, 32);
    const canvas = document.createElement("canvas");
    canvas.width = 32;
    canvas.height = 32;
    const context = canvas.getContext("2d");
    if (!context) return "";
    const data = context.createImageData(32, 32);
    data.data.set(pixels);
    context.putImageData(data, 0, 0);
    return canvas.toDataURL();
  } catch {
    return "";
  }
}

/**
 * A feature image: the WebP variants (and the original) in `srcset` so the browser picks the size the
 * layout needs, its size reserved (no layout shift), the blurhash behind it until it loads.
 */
function picture(image: Media, sizes: string, lazy: boolean): HTMLImageElement {
  const img = document.createElement("img");
  img.className = "feature-image";
  img.alt = image.alt;
  img.width = image.width;
  img.height = image.height;
  img.decoding = "async";
  if (lazy) img.loading = "lazy";
  const webp = image.variants.filter((variant) => variant.format === "webp");
  img.srcset = [...webp.map((variant) => `${mediaUrl(variant.url)} ${variant.width}w`), `${mediaUrl(image.url)} ${image.width}w`]
    .join(", ");
  img.sizes = sizes;
  img.src = mediaUrl(image.url);
  const painted = placeholder(image.blurhash);
  if (painted) {
    img.style.backgroundImage = `url(${painted})`;
    img.addEventListener("load", () => img.style.removeProperty("background-image"), { once: true });
  }
  return img;
}

type Byline = { slug: string; name: string }[] | undefined;

/** A post's authors, each a link to the author's page; the `author` name alone for an older answer. */
function byline(authors: Byline, fallback: string | undefined): Node[] {
  if (!authors || authors.length === 0) return [document.createTextNode(fallback ?? "")];
  const nodes: Node[] = [];
  authors.forEach((author, index) => {
    if (index > 0) nodes.push(document.createTextNode(index === authors.length - 1 ? " and " : ", "));
    const link = document.createElement("a");
    link.href = `#/authors/${author.slug}`;
    link.className = "author-link";
    link.textContent = author.name;
    nodes.push(link);
  });
  return nodes;
}

function postItem(post: PostSummary): HTMLLIElement {
  const item = document.createElement("li");
  item.className = "post-card";
  item.dataset.postId = String(post.id);
  const link = document.createElement("a");
  link.href = `#/posts/${post.id}`;
  // A search's highlights are HTML the API escaped, with the matched words in <mark>.
  if (post.highlights) link.innerHTML = post.highlights.title;
  else link.textContent = post.title ?? `Post ${post.id}`;
  const heading = document.createElement("h2");
  heading.append(link);
  if (post.feature_image) item.append(picture(post.feature_image, "(max-width: 760px) 100vw, 640px", true));
  const meta = text(
    "p",
    ` · ${date(post.published_at)} · ${post.reading_time_minutes ?? 1} min read · `,
    "meta",
  );
  meta.prepend(...byline(post.authors, post.author));
  const count = text("span", views(post.clicks), "card-clicks");
  meta.append(count);
  const excerpt = text("p", post.excerpt ?? "", "excerpt");
  if (post.highlights) excerpt.innerHTML = post.highlights.excerpt;
  item.append(heading, meta, excerpt);
  const tags = post.tags ?? [];
  if (tags.length > 0 || post.category) {
    const labels = document.createElement("p");
    labels.className = "labels";
    if (post.category) labels.append(text("span", post.category.name, "label category"));
    for (const tag of tags) labels.append(text("span", `#${tag.slug}`, "label"));
    item.append(labels);
  }
  return item;
}

/** Loads the next page of the list (by cursor) and appends it. */
async function loadMore(): Promise<void> {
  if (loading || cursor === null) return;
  loading = true;
  const mine = generation;
  try {
    const query = {
      per_page: PAGE_SIZE,
      fields: filters.q ? [...LIST_FIELDS, "highlights" as const] : [...LIST_FIELDS],
      ...(cursor ? { cursor } : {}),
      ...(filters.q ? { q: filters.q } : {}),
      ...(filters.category ? { category: filters.category } : {}),
      ...(filters.tag ? { tag: filters.tag } : {}),
      ...(filters.author ? { author: filters.author } : {}),
    };
    const page = body(await api.GET("/posts", { params: { query } }));
    if (mine !== generation) return;
    view.posts.append(...page.data.map(postItem));
    cursor = page.meta.next_cursor ?? null;
    view.summary.textContent = `${page.meta.total} ${page.meta.total === 1 ? "post" : "posts"}`;
    view.end.hidden = cursor !== null || page.meta.total === 0;
    if (page.meta.total === 0) view.summary.textContent = "No posts match.";
  } catch (error) {
    showError(error);
    cursor = null;
  } finally {
    if (mine === generation) loading = false;
  }
  // A short first page leaves the sentinel in view, where the observer will not fire again.
  if (mine === generation && cursor && !view.list.hidden && sentinelInView()) void loadMore();
}

function sentinelInView(): boolean {
  return view.sentinel.getBoundingClientRect().top < window.innerHeight + 200;
}

function startList(): void {
  generation += 1;
  loading = false;
  cursor = undefined;
  view.posts.replaceChildren();
  view.end.hidden = true;
  view.summary.textContent = "";
  const parts = [
    filters.q && `“${filters.q}”`,
    filters.category && `in ${view.category.selectedOptions[0]?.textContent ?? filters.category}`,
    filters.tag && `tagged #${filters.tag}`,
    filters.author && `by ${authorName || filters.author}`,
  ].filter(Boolean);
  view.heading.textContent = parts.length > 0 ? `Posts ${parts.join(" ")}` : "Latest posts";
  void loadMore();
}

async function loadPopular(): Promise<void> {
  try {
    const page = body(
      await api.GET("/posts", {
        params: { query: { sort: "-clicks", window: "7d", per_page: 5, fields: ["id", "title", "window_clicks"] } },
      }),
    );
    view.popular.replaceChildren(
      ...page.data.map((post) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = `#/posts/${post.id}`;
        link.textContent = post.title ?? `Post ${post.id}`;
        item.append(link, text("span", ` ${post.window_clicks ?? 0} this week`, "muted"));
        return item;
      }),
    );
  } catch (error) {
    showError(error);
  }
}

async function loadTaxonomy(): Promise<void> {
  try {
    const [categories, tags] = await Promise.all([
      api.GET("/categories", { params: { query: { per_page: 100, fields: ["slug", "name"] } } }),
      api.GET("/tags", { params: { query: { per_page: 100, fields: ["slug", "name"] } } }),
    ]);
    for (const [select, page] of [
      [view.category, body(categories)],
      [view.tag, body(tags)],
    ] as const) {
      for (const term of page.data) {
        const option = document.createElement("option");
        option.value = term.slug ?? "";
        option.textContent = term.name ?? term.slug ?? "";
        select.append(option);
      }
    }
  } catch (error) {
    showError(error);
  }
}

/** Stops following the open post's count (`liveCount`). */
let stopLive: (() => void) | null = null;

/** Shows a post's count, on its page and on its card in the list. */
function showClicks(id: number, clicks: number | undefined): void {
  view.clicks.textContent = views(clicks);
  view.clicks.dataset.clicks = String(clicks ?? 0);
  const card = view.posts.querySelector<HTMLElement>(`[data-post-id="${id}"] .card-clicks`);
  if (card) card.textContent = views(clicks);
}

/**
 * Opens a post: the read counts a view, and the count shown is the one the API answered with; from then on
 * it follows the count live (`GET /posts/{id}/live`), so other readers' views show while it is open.
 */
async function showPost(id: number): Promise<void> {
  stopLive?.();
  stopLive = null;
  openPost = id;
  view.list.hidden = true;
  view.post.hidden = false;
  view.commentStatus.textContent = "";
  view.title.textContent = "Loading…";
  for (const part of [view.byline, view.reading, view.clicks, view.cover, view.body, view.related, view.comments]) {
    part.replaceChildren();
  }
  try {
    const [post, related, comments] = await Promise.all([
      api.GET("/posts/{id}", { params: { path: { id } } }).then(body),
      api.GET("/posts/{id}/related", { params: { path: { id }, query: { limit: 4 } } }).then(body),
      api.GET("/posts/{id}/comments", { params: { path: { id }, query: { per_page: 50 } } }).then(body),
    ]);
    if (openPost !== id) return;
    document.title = `${post.title ?? "Post"} · Blog`;
    view.title.textContent = post.title ?? "";
    view.byline.replaceChildren(
      ...byline(post.authors, post.author),
      document.createTextNode(`, ${date(post.published_at)}`),
    );
    view.reading.textContent = `${post.reading_time_minutes ?? 1} min read`;
    showClicks(id, post.clicks);
    stopLive = liveCount({
      baseUrl: API_URL,
      id,
      onCount: ({ clicks }) => {
        if (openPost === id) showClicks(id, clicks);
      },
    });
    if (post.feature_image) view.cover.append(picture(post.feature_image, "(max-width: 760px) 100vw, 720px", false));
    // Sanitized by the API (no scripts, no remote images).
    view.body.innerHTML = post.body_html ?? "";
    view.related.replaceChildren(
      ...related.data.map((other) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = `#/posts/${other.id}`;
        link.textContent = other.title ?? `Post ${other.id}`;
        item.append(link);
        return item;
      }),
    );
    if (related.data.length === 0) view.related.append(text("li", "Nothing related yet.", "muted"));
    view.comments.replaceChildren(
      ...comments.data.map((comment) => {
        const item = document.createElement("li");
        const who = text("p", `${comment.author_name ?? "Someone"} · ${date(comment.created_at)}`, "meta");
        const said = document.createElement("div");
        said.innerHTML = comment.body_html ?? "";
        item.append(who, said);
        return item;
      }),
    );
    if (comments.data.length === 0) view.comments.append(text("li", "No comments yet.", "muted"));
    view.title.focus();
  } catch (error) {
    view.title.textContent = "";
    showError(error);
  }
}

function showList(author = ""): void {
  stopLive?.();
  stopLive = null;
  openPost = null;
  document.title = "Blog";
  view.post.hidden = true;
  view.list.hidden = false;
  void loadPopular();
  if (author !== filters.author) {
    filters.author = author;
    authorName = "";
    view.authorProfile.hidden = true;
    if (author) void showAuthor(author);
    startList();
  } else if (cursor === undefined && !loading) {
    startList();
  }
}

/** An author's page: the list of their posts, headed by their name, bio and website. */
async function showAuthor(slug: string): Promise<void> {
  try {
    const author = body(await api.GET("/authors/{slug}", { params: { path: { slug } } }));
    if (filters.author !== slug) return;
    authorName = author.name;
    document.title = `${author.name} · Blog`;
    view.heading.textContent = `Posts by ${author.name}`;
    // Sanitized by the API, like a post's body.
    view.authorBio.innerHTML = author.bio_html;
    view.authorWebsite.replaceChildren();
    if (author.website) {
      const link = document.createElement("a");
      link.href = author.website;
      link.rel = "noopener";
      link.textContent = author.website;
      view.authorWebsite.append(link);
    }
    view.authorProfile.hidden = author.bio_html === "" && !author.website;
  } catch (error) {
    showError(error);
  }
}

function route(): void {
  view.error.hidden = true;
  const hash = window.location.hash;
  const post = /^#\/posts\/(\d+)$/.exec(hash);
  const author = /^#\/authors\/([a-z0-9-]+)$/.exec(hash);
  if (post?.[1]) {
    void showPost(Number(post[1]));
  } else {
    showList(author?.[1] ?? "");
  }
}

/** The suggestions on show, and the one picked with the arrow keys (-1: none). */
let suggested: Suggestion[] = [];
let picked = -1;
let suggestTimer: ReturnType<typeof setTimeout> | undefined;
/** Bumped with every keystroke, so that an answer to an older one is dropped. */
let typed = 0;

function closeSuggestions(): void {
  suggested = [];
  picked = -1;
  view.suggestions.hidden = true;
  view.suggestions.replaceChildren();
  view.search.setAttribute("aria-expanded", "false");
  view.search.removeAttribute("aria-activedescendant");
}

function showSuggestions(items: Suggestion[]): void {
  suggested = items;
  picked = -1;
  view.suggestions.replaceChildren(
    ...items.map((item, index) => {
      const option = document.createElement("li");
      option.id = `suggestion-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.kind = item.kind;
      option.append(text("span", item.kind, "kind"), text("span", item.title));
      // Chosen on mousedown: a click would first blur the input and close the list.
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(item);
      });
      return option;
    }),
  );
  view.suggestions.hidden = items.length === 0;
  view.search.setAttribute("aria-expanded", String(items.length > 0));
}

/** A post suggestion opens the post; a tag or category one filters the list by it. */
function choose(item: Suggestion): void {
  closeSuggestions();
  if (item.kind === "post") {
    window.location.hash = `#/posts/${item.id}`;
    return;
  }
  view.search.value = "";
  filters.q = "";
  const select = item.kind === "tag" ? view.tag : view.category;
  select.value = item.slug;
  if (item.kind === "tag") filters.tag = item.slug;
  else filters.category = item.slug;
  if (window.location.hash.startsWith("#/posts/")) window.location.hash = "#/";
  startList();
}

function pick(index: number): void {
  const options = [...view.suggestions.children];
  picked = (index + options.length) % options.length;
  options.forEach((option, at) => option.setAttribute("aria-selected", String(at === picked)));
  view.search.setAttribute("aria-activedescendant", `suggestion-${picked}`);
}

view.search.addEventListener("input", () => {
  typed += 1;
  const mine = typed;
  clearTimeout(suggestTimer);
  const q = view.search.value.trim();
  if (!/[\p{L}\p{N}]/u.test(q)) {
    closeSuggestions();
    return;
  }
  suggestTimer = setTimeout(() => {
    api
      .GET("/search/suggest", { params: { query: { q, limit: 6 } } })
      .then(body)
      .then((answer) => {
        if (mine === typed && document.activeElement === view.search) showSuggestions(answer.data);
      })
      .catch(() => closeSuggestions());
  }, 120);
});
view.search.addEventListener("keydown", (event) => {
  if (view.suggestions.hidden) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    pick(picked + (event.key === "ArrowDown" ? 1 : -1));
  } else if (event.key === "Escape") {
    closeSuggestions();
  } else if (event.key === "Enter" && picked >= 0) {
    event.preventDefault();
    const item = suggested[picked];
    if (item) choose(item);
  }
});
view.search.addEventListener("blur", () => closeSuggestions());

view.searchForm.addEventListener("submit", (event) => {
  event.preventDefault();
  closeSuggestions();
  typed += 1;
  filters.q = view.search.value.trim();
  if (window.location.hash.startsWith("#/posts/")) window.location.hash = "#/";
  startList();
});
view.category.addEventListener("change", () => {
  filters.category = view.category.value;
  startList();
});
view.tag.addEventListener("change", () => {
  filters.tag = view.tag.value;
  startList();
});
view.commentForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const id = openPost;
  if (id === null) return;
  const form = new FormData(view.commentForm);
  const comment = { author_name: String(form.get("author_name") ?? ""), body: String(form.get("body") ?? "") };
  view.commentStatus.textContent = "Sending…";
  api
    .POST("/posts/{id}/comments", { params: { path: { id } }, body: comment })
    .then(() => {
      view.commentForm.reset();
      view.commentStatus.textContent = "Thank you! Your comment is awaiting moderation.";
    })
    .catch((error: unknown) => {
      view.commentStatus.textContent =
        error instanceof ApiProblem
          ? Object.entries(error.errors)
              .map(([field, messages]) => `${field.replace("_", " ")} ${messages.join(", ")}`)
              .join("; ") || error.detail
          : "The comment could not be sent. Try again.";
    });
});

new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting) && !view.list.hidden) void loadMore();
}, { rootMargin: "200px" }).observe(view.sentinel);

window.addEventListener("hashchange", route);
void loadTaxonomy();
route();
