// Code written against the document, as an app would: the drift test builds it against a changed copy.
import { body, createBlogClient, type PostDetail, type PostSummary } from "../src/index.js";

/** A post's card line: its title, upper-cased, and its reading time. */
export function cardLine(post: PostSummary): string {
  const title: string = post.title ?? ""; // drift: title
  const minutes: number = post.reading_time_minutes ?? 1; // drift: reading_time_minutes
  return `${title.toUpperCase()} · ${minutes} min`;
}

/** The title of a post fetched by id. */
export async function titleOf(baseUrl: string, id: number): Promise<string> {
  const api = createBlogClient({ baseUrl });
  const post: PostDetail = body(await api.GET("/posts/{id}", { params: { path: { id } } }));
  return `${post.title ?? ""} (${post.reading_time_minutes ?? 0} min)`; // drift: reading_time_minutes
}
