// Proves the types are a contract. A copy of the document in which a response field changed (a post's
// `title` becomes an integer, `reading_time_minutes` is renamed) is (1) refused by the drift check while
// src/schema.d.ts is not regenerated, and (2) once regenerated, breaks the TypeScript build of code written
// against the real document (test/usage.ts), naming the fields. The unchanged document builds (the control).
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const bin = (name) => join(root, "node_modules/.bin", name);
// Inside the package, so that the copy resolves openapi-fetch from its node_modules.
const work = join(root, ".drift");
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, "src"), { recursive: true });
mkdirSync(join(work, "test"), { recursive: true });

function fail(message) {
  console.error(`types-break-on-drift: ${message}`);
  process.exit(1);
}

/** Generates types from `document` into the copy and type-checks the client and test/usage.ts against them. */
function build(document) {
  const documentPath = join(work, "openapi.json");
  writeFileSync(documentPath, JSON.stringify(document, null, 2));
  execFileSync(bin("openapi-typescript"), [documentPath, "--output", join(work, "src/schema.d.ts")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  cpSync(join(root, "src/index.ts"), join(work, "src/index.ts"));
  cpSync(join(root, "test/usage.ts"), join(work, "test/usage.ts"));
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { noEmit: true }, include: ["src", "test"] }),
  );
  return spawnSync(bin("tsc"), ["-p", join(work, "tsconfig.json")], { encoding: "utf8" });
}

try {
  const original = JSON.parse(readFileSync(join(root, "../../openapi/openapi.json"), "utf8"));
  const control = build(original);
  if (control.status !== 0) fail(`the unchanged document does not build:\n${control.stdout}${control.stderr}`);

  // Every schema of a post (the component and the copies generic pages inline) changes the same way.
  const changed = structuredClone(original);
  let edited = 0;
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    const properties = node.properties;
    if (properties?.title && properties?.reading_time_minutes) {
      properties.title = { type: "integer", format: "int64" };
      properties.minutes_to_read = properties.reading_time_minutes;
      delete properties.reading_time_minutes;
      edited += 1;
    }
    Object.values(node).forEach(visit);
  };
  visit(changed.components.schemas);
  if (edited === 0) fail("no post schema found to change");
  writeFileSync(join(work, "changed.json"), JSON.stringify(changed, null, 2));
  const drift = spawnSync("node", [join(root, "scripts/check-generated.mjs"), join(work, "changed.json")], {
    encoding: "utf8",
  });
  if (drift.status === 0) fail("the drift check accepted a changed document with stale types");

  const broken = build(changed);
  const output = `${broken.stdout}${broken.stderr}`;
  if (broken.status === 0) fail("code written against the old document still builds against the changed one");
  // Each line of test/usage.ts marked `// drift: <field>` reads a changed field: each must be an error.
  const marked = readFileSync(join(root, "test/usage.ts"), "utf8")
    .split("\n")
    .flatMap((line, index) => (line.includes("// drift:") ? [index + 1] : []));
  if (marked.length === 0) fail("test/usage.ts marks no line");
  for (const line of marked) {
    if (!output.includes(`usage.ts(${line},`)) fail(`line ${line} of test/usage.ts still builds:\n${output}`);
  }
  console.log("types-break-on-drift: the drift check refuses stale types, and a changed response field breaks the build:");
  console.log(output.split("\n").filter((line) => line.includes("error TS")).map((line) => `  ${line}`).join("\n"));
} finally {
  rmSync(work, { recursive: true, force: true });
}
