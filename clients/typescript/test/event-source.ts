// A minimal `EventSource` over `fetch` for the tests (Node 20 has none): named events, `id:` lines kept and
// sent back as `Last-Event-ID` by `reconnect()`, comments skipped. Enough to drive the live helpers against
// a real server; browsers use their own.
import type { EventSourceLike } from "../src/index.js";

export class FetchEventSource implements EventSourceLike {
  onerror: ((event: Event) => void) | null = null;
  lastEventId = "";
  private readonly listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  private controller = new AbortController();

  constructor(readonly url: string) {
    void this.run();
  }

  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.controller.abort();
  }

  /** Drops the connection and opens another with `Last-Event-ID`, as `EventSource` does after an error. */
  reconnect(): void {
    this.controller.abort();
    this.controller = new AbortController();
    void this.run();
  }

  private async run(): Promise<void> {
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (this.lastEventId) headers["Last-Event-ID"] = this.lastEventId;
    try {
      const response = await fetch(this.url, { headers, signal: this.controller.signal });
      if (!response.ok || !response.body) throw new Error(`the stream answered ${response.status}`);
      const decoder = new TextDecoder();
      let buffer = "";
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          this.dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (!this.controller.signal.aborted) this.onerror?.(new Event(String(error)));
    }
  }

  private dispatch(block: string): void {
    let type = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id") this.lastEventId = value;
    }
    if (data.length === 0) return;
    const event = new MessageEvent<string>(type, { data: data.join("\n"), lastEventId: this.lastEventId });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}
