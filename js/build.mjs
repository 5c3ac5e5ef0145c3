// Bundles the front end with esbuild: one self-contained ESM file per anywidget entry into
// somwidget/static/ (anywidget's _esm cannot import relative files or chunks).
//   node js/build.mjs            build the bundles
//   node js/build.mjs --tests    compile js/test/*.test.ts into node_modules/.cache/somwidget-tests
// The colour tables are imported by js/src/colors.ts from somwidget/widgets/colormaps.json (the
// one table Python reads too); esbuild bundles the JSON like any module.
import { readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const common = {
  bundle: true,
  format: "esm",
  target: ["es2020"],
  logLevel: "warning",
};

const ENTRIES = ["lattice", "planes", "selection", "elevation"];

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
