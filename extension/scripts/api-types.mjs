// Generate src/shared/api.gen.ts, the server's shapes in TypeScript, from shared/schemas/.
// `node scripts/api-types.mjs` writes it; `--check` fails when the checked-in file is stale.
import { compile } from "json-schema-to-typescript";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const SCHEMA_DIR = join(here, "..", "..", "shared", "schemas");
const OUT = join(here, "..", "src", "shared", "api.gen.ts");
const REGENERATE = "cd extension && npm run api-types";

const HEADER = `// Generated from shared/schemas/*.schema.json by scripts/api-types.mjs: do not edit.
// To change a shape, change the server's pydantic model, run \`make schemas\`, then
// \`${REGENERATE}\`; \`npm test\` and \`make extension\` fail while this file is stale.
`;

/** "annotate-response" -> "AnnotateResponse": a root is named by its file, as SHARED_MODELS does. */
function typeName(stem) {
  return stem.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c) => c.toUpperCase());
}

/**
 * Tidy a pydantic schema for json-schema-to-typescript, which names a type after every `title`
 * (pydantic titles each property: `type Url1 = string | null`) and after every `$ref` that has
 * a sibling (`{"$ref": "Role", "description": ...}` becomes `Role1`). Keep the titles of named
 * definitions only, and wrap a described `$ref` in `allOf` so it stays the one named type.
 */
function tidy(schema, named = false) {
  if (Array.isArray(schema)) return schema.map((s) => tidy(s));
  if (!schema || typeof schema !== "object") return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "title" && !named) continue;
    if (k === "discriminator") continue; // OpenAPI's keyword; the union of consts says it already
    if (k === "properties" || k === "$defs") {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, tidy(s, k === "$defs")]));
    } else {
      out[k] = tidy(v);
    }
  }
  if (out.$ref && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    return { ...rest, allOf: [{ $ref }] };
  }
  return out;
}

/** Every schema's models in one set of definitions; one name must mean one shape. */
function definitions() {
  const defs = new Map();
  const add = (name, schema, file) => {
    const seen = defs.get(name);
    if (seen && !isDeepStrictEqual(seen.schema, schema)) {
      throw new Error(`${name} differs between ${seen.file} and ${file}: one name, two shapes`);
    }
    if (!seen) defs.set(name, { schema, file });
  };
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".schema.json")).sort();
  const roots = [];
  for (const file of files) {
    const { $defs = {}, $schema: _dialect, ...root } = JSON.parse(readFileSync(join(SCHEMA_DIR, file), "utf8"));
    const name = typeName(file.replace(/\.schema\.json$/, ""));
    for (const [defName, def] of Object.entries($defs)) add(defName, tidy(def, true), file);
    add(name, tidy({ ...root, title: name }, true), file);
    roots.push(name);
  }
  return { defs: Object.fromEntries([...defs].map(([k, v]) => [k, v.schema])), roots };
}

async function render() {
  const { defs, roots } = definitions();
  // One document so shared definitions (RelatedArticle, Role, ...) are declared once.
  const schema = {
    title: "ServerShape",
    description: "Any of the shapes in shared/schemas/.",
    anyOf: roots.map((r) => ({ $ref: `#/$defs/${r}` })),
    $defs: defs,
  };
  const ts = await compile(schema, "ServerShape", {
    bannerComment: "",
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: true,
    ignoreMinAndMaxItems: true,
    style: { printWidth: 120 },
  });
  return HEADER + "\n" + ts;
}

const text = await render();
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(OUT, "utf8");
  } catch {
    // Missing counts as stale.
  }
  if (current !== text) {
    console.error(`src/shared/api.gen.ts is stale against shared/schemas/: run \`${REGENERATE}\``);
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
  console.log("wrote src/shared/api.gen.ts");
}
