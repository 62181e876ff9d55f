// Build the extension into dist/ (Chromium) and dist-firefox/ (Firefox) from one source.
// `node build.mjs` builds both; `node build.mjs --tests` also bundles tests/ into .test-build/.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { readabilityPatch } from "./scripts/readability-patch.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const FIREFOX_ID = "gloss@gloss.invalid";

const entries = {
  background: "src/background/main.ts",
  content: "src/content/main.ts",
  options: "src/ui/options.ts",
  popup: "src/ui/popup.ts",
  frame: "src/frame/main.ts",
};

async function bundle(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, "icons"), { recursive: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(here, v)])),
    outdir,
    bundle: true,
    format: "iife",
    target: ["chrome111", "firefox128"],
    sourcemap: false,
    minify: false,
    legalComments: "none",
    logLevel: "warning",
    plugins: [readabilityPatch],
  });
  cpSync(join(here, "static"), outdir, { recursive: true });
  for (const size of [16, 32, 48, 128]) writeFileSync(join(outdir, "icons", `${size}.png`), icon(size));
}

function chromiumManifest() {
  return JSON.parse(readFileSync(join(here, "manifest.json"), "utf8"));
}

/** Firefox: an event page (background scripts) instead of a worker, and a fixed add-on id. */
function firefoxManifest() {
  const m = chromiumManifest();
  delete m.minimum_chrome_version;
  m.background = { scripts: ["background.js"] };
  m.browser_specific_settings = {
    gecko: {
      id: FIREFOX_ID,
      strict_min_version: "142.0",
      data_collection_permissions: { required: ["websiteContent"] },
    },
  };
  return m;
}

// ---- A small PNG icon (an amber disc with a dark "underline"), drawn here so no binary is kept.
function crc32(buf) {
  let c;
  const table = crc32.table ?? (crc32.table = Array.from({ length: 256 }, (_, n) => {
    c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }));
  let crc = 0xffffffff;
  for (const b of buf) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function icon(size) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const r = size / 2 - 0.5;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const o = y * (size * 4 + 1) + 1 + x * 4;
      const d = Math.hypot(x - r, y - r);
      const inside = d <= r;
      const bar = y > size * 0.58 && y < size * 0.72 && x > size * 0.22 && x < size * 0.78;
      const [R, G, B] = bar ? [40, 40, 60] : [245, 176, 30];
      raw[o] = R;
      raw[o + 1] = G;
      raw[o + 2] = B;
      raw[o + 3] = inside ? 255 : 0;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function buildTests() {
  const outdir = join(here, ".test-build");
  rmSync(outdir, { recursive: true, force: true });
  const tests = readdirSync(join(here, "tests")).filter((f) => f.endsWith(".test.ts"));
  await build({
    entryPoints: tests.map((f) => join(here, "tests", f)),
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outExtension: { ".js": ".mjs" },
    external: ["jsdom", "node:*"],
    logLevel: "warning",
    plugins: [readabilityPatch],
  });
}

const dist = join(here, "dist");
const distFirefox = join(here, "dist-firefox");
await bundle(dist);
writeFileSync(join(dist, "manifest.json"), JSON.stringify(chromiumManifest(), null, 2) + "\n");
await bundle(distFirefox);
writeFileSync(join(distFirefox, "manifest.json"), JSON.stringify(firefoxManifest(), null, 2) + "\n");
if (process.argv.includes("--tests")) await buildTests();
console.log("built extension/dist (Chromium) and extension/dist-firefox (Firefox)");
