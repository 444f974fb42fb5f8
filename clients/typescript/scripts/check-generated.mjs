// Fails when src/schema.d.ts is not what openapi-typescript makes of the document (default
// ../../openapi/openapi.json, or the path given): the committed types drifted; run `npm run generate`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const documentPath = resolve(process.argv[2] ?? join(root, "../../openapi/openapi.json"));
const work = mkdtempSync(join(tmpdir(), "blog-api-types-"));
try {
  const fresh = join(work, "schema.d.ts");
  execFileSync(join(root, "node_modules/.bin/openapi-typescript"), [documentPath, "--output", fresh], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const committed = readFileSync(join(root, "src/schema.d.ts"), "utf8");
  if (readFileSync(fresh, "utf8") !== committed) {
    console.error(
      `src/schema.d.ts is not generated from ${documentPath}: run \`npm run generate\` in clients/typescript`,
    );
    process.exit(1);
  }
  console.log(`src/schema.d.ts matches ${documentPath}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
