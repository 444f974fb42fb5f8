import { defineConfig } from "vite";

// The client is imported from its source (clients/typescript/src), so the SPA always builds against the
// committed, generated types.
export default defineConfig({
  build: { target: "es2022", sourcemap: false },
  server: { fs: { allow: ["../.."] } },
});
