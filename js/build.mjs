// Bundles the front end with esbuild: one self-contained ESM file per anywidget entry into
// somwidget/static/ (anywidget's _esm cannot import relative files or chunks).
//   node js/build.mjs            build the bundles
//   node js/build.mjs --tests    compile js/test/*.test.ts into node_modules/.cache/somwidget-tests
// The colour tables are read from somwidget/widgets/colormaps.py (single source of truth) and
// injected as the virtual module "somwidget:colormaps".
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const COLORMAPS_PY = join(ROOT, "somwidget", "widgets", "colormaps.py");

/** Parse the marked blocks of colormaps.py into {tables, categorical, nan}. */
export function readColormaps() {
  const src = readFileSync(COLORMAPS_PY, "utf8");
  const block = (name) => {
    const m = src.match(new RegExp(`# BEGIN ${name}\\n([\\s\\S]*?)# END ${name}`));
    if (!m) throw new Error(`colormaps.py: block ${name} not found`);
    return m[1];
  };
  const tables = {};
  let current = null;
  for (const line of block("TABLES").split("\n")) {
    const key = line.match(/^\s*"(\w+)":\s*\($/);
    if (key) { current = key[1]; tables[current] = ""; continue; }
    const hex = line.match(/^\s*"([0-9a-f]+)"\s*$/);
    if (hex && current) tables[current] += hex[1];
  }
  for (const [k, v] of Object.entries(tables)) {
    if (v.length !== 256 * 6) throw new Error(`colormaps.py: table ${k} has ${v.length / 6} entries, expected 256`);
  }
  const categorical = [...block("CATEGORICAL").matchAll(/"(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  const nan = src.match(/^NAN_COLOR = "(#[0-9a-f]{6})"/m);
  if (!nan) throw new Error("colormaps.py: NAN_COLOR not found");
  return { tables, categorical, nan: nan[1] };
}

const colormapsPlugin = {
  name: "somwidget-colormaps",
  setup(build) {
    build.onResolve({ filter: /^somwidget:colormaps$/ }, () => ({ path: "colormaps", namespace: "somwidget" }));
    build.onLoad({ filter: /.*/, namespace: "somwidget" }, () => {
      const { tables, categorical, nan } = readColormaps();
      return {
        contents: `export const TABLES_HEX = ${JSON.stringify(tables)};\n` +
          `export const CATEGORICAL_HEX = ${JSON.stringify(categorical)};\n` +
          `export const NAN_COLOR_HEX = ${JSON.stringify(nan)};\n`,
        loader: "js",
        watchFiles: [COLORMAPS_PY],
      };
    });
  },
};

const common = {
  bundle: true,
  format: "esm",
  target: ["es2020"],
  plugins: [colormapsPlugin],
  logLevel: "warning",
};

const ENTRIES = ["lattice", "planes", "selection"];

async function buildBundles() {
  await esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(ENTRIES.map((e) => [e, join(ROOT, "js", "src", `${e}.ts`)])),
    outdir: join(ROOT, "somwidget", "static"),
    minify: true,
    sourcemap: false,
  });
}

async function buildTests() {
  const outdir = join(ROOT, "node_modules", ".cache", "somwidget-tests");
  rmSync(outdir, { recursive: true, force: true });
  const testDir = join(ROOT, "js", "test");
  const entries = readdirSync(testDir).filter((f) => f.endsWith(".test.ts")).map((f) => join(testDir, f));
  await esbuild.build({
    ...common,
    entryPoints: entries,
    outdir,
    platform: "node",
    outExtension: { ".js": ".mjs" },
    external: ["node:*"],
  });
  console.log(outdir);
}

if (process.argv.includes("--tests")) await buildTests();
else await buildBundles();
