#!/usr/bin/env node
// Type-checks every ```ts code block of README.md and docs/*.md against the built package.
//
// Usage: npm run build && node scripts/check-docs.mjs [--all] [file.md...]
//
// Each block becomes its own module under dist/doc-check/<page>/ and the whole set is
// compiled with the project's TypeScript (strict, NodeNext). `import ... from "taskio"` and
// "taskio/<sub>" resolve through the package's own exports map (self-reference) to dist/src.
//
// HTML comments right before a block (blank lines between are allowed) steer it:
//   <!-- check-docs: prelude declare function fetchA(): Promise<string>; -->
//       the text is prepended to the block (placeholders the example takes for granted)
//   <!-- check-docs: module tasks -->
//       the block is written as tasks.ts, so another block of the same page can import "./tasks.js"
//   <!-- check-docs: skip -->
//       the block is deliberately partial and is not checked
// Blocks in other languages (sh, text, none, ...) are ignored.
//
// Coverage: every name exported by an entry of package.json "exports" must appear (as a word) in
// README.md or docs/*.md; each missing one is a failure ("the docs cover every public name").
//
// Output: one line per failing block (file:line of the first error, the compiler error, and how
// many more the block has; --all prints every error). Exit 1 on any failure, else 0 with a summary.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "doc-check");
const tsc = join(root, "node_modules", "typescript", "lib", "tsc.js");
const args = process.argv.slice(2);
const showAll = args.includes("--all");
const only = args.filter((a) => !a.startsWith("--"));

if (!existsSync(join(root, "dist", "src", "index.d.ts"))) {
  console.error("check-docs: dist/src/index.d.ts is missing: run `npm run build` first");
  process.exit(1);
}

const pages = only.length > 0
  ? only.map((p) => relative(root, join(process.cwd(), p)))
  : [
      "README.md",
      ...readdirSync(join(root, "docs")).filter((n) => n.endsWith(".md")).sort().map((n) => `docs/${n}`),
    ];

const TS_LANGS = new Set(["ts", "typescript", "mts"]);

/** Directives from the HTML comments directly above line index `fence` (blank lines allowed). */
function directivesAbove(lines, fence) {
  const found = [];
  let i = fence - 1;
  for (;;) {
    while (i >= 0 && lines[i].trim() === "") i--;
    if (i < 0 || !lines[i].trimEnd().endsWith("-->")) break;
    let start = i;
    while (start >= 0 && !lines[start].includes("<!--")) start--;
    if (start < 0) break;
    const text = lines.slice(start, i + 1).join("\n");
    const match = /<!--\s*check-docs:\s*(\w+)([\s\S]*?)-->/.exec(text);
    if (!match) break;
    found.unshift({ kind: match[1], text: match[2].trim(), line: start + 1 });
    i = start - 1;
  }
  return found;
}

/** @type {{ page: string, line: number, file: string, preludeLines: number }[]} */
const blocks = [];
const problems = [];
let skipped = 0;

rmSync(outDir, { recursive: true, force: true });
for (const page of pages) {
  const lines = readFileSync(join(root, page), "utf8").split("\n");
  const dirName = page.replace(/\.md$/, "").replace(/[\\/]/g, "-");
  const pageDir = join(outDir, dirName);
  mkdirSync(pageDir, { recursive: true });
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    let end = i + 1;
    while (end < lines.length && !(lines[end].trim().startsWith(fence) && lines[end].trim().replace(/[`~]/g, "") === "")) end++;
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
    const fenceLine = i;
    i = end;
    if (!TS_LANGS.has(lang.toLowerCase())) continue;
    const directives = directivesAbove(lines, fenceLine);
    for (const d of directives) {
      if (!["prelude", "skip", "module"].includes(d.kind)) {
        problems.push(`${page}:${d.line}: unknown check-docs directive "${d.kind}" (prelude, module or skip)`);
      }
    }
    if (directives.some((d) => d.kind === "skip")) {
      skipped++;
      continue;
    }
    const prelude = directives.filter((d) => d.kind === "prelude").map((d) => d.text).join("\n");
    const moduleName = directives.find((d) => d.kind === "module")?.text;
    const name = moduleName ? `${moduleName.replace(/\.(ts|js)$/, "")}.ts` : `L${fenceLine + 1}.ts`;
    const file = join(pageDir, name);
    const preludeLines = prelude === "" ? 0 : prelude.split("\n").length;
    // `export {}` makes every block a module, so top-level await works and names never clash.
    const source = `${prelude === "" ? "" : `${prelude}\n`}${body.join("\n")}\nexport {};\n`;
    writeFileSync(file, source);
    blocks.push({ page, line: fenceLine + 1, file, preludeLines });
  }
}

if (blocks.length === 0 && problems.length === 0) {
  console.log("check-docs: no ts blocks found");
  process.exit(0);
}

writeFileSync(
  join(outDir, "tsconfig.json"),
  JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2023", "ESNext.Disposable"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
        typeRoots: [join(root, "node_modules", "@types")],
      },
      files: blocks.map((b) => relative(outDir, b.file)),
    },
    null,
    2,
  ),
);

const result = spawnSync(process.execPath, [tsc, "-p", join(outDir, "tsconfig.json"), "--pretty", "false"], {
  cwd: root,
  encoding: "utf8",
});
if (result.error) throw result.error;

/** Errors per block file, each with its line in the page. */
const byFile = new Map();
let last;
for (const raw of `${result.stdout}${result.stderr}`.split("\n")) {
  const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(raw);
  if (m) {
    const abs = join(root, m[1]);
    const block = blocks.find((b) => b.file === abs || b.file === m[1]);
    last = { block, tsLine: Number(m[2]), code: m[4], message: m[5], raw };
    const key = block ? block.file : m[1];
    if (!byFile.has(key)) byFile.set(key, []);
    byFile.get(key).push(last);
  } else if (raw.startsWith(" ") && last) {
    last.message += ` ${raw.trim()}`;
  } else if (raw.trim() !== "") {
    problems.push(`tsc: ${raw.trim()}`);
    last = undefined;
  }
}

const failures = [];
for (const [key, errors] of byFile) {
  const block = errors[0].block;
  const where = (e) => {
    if (!block) return key;
    const inBody = e.tsLine - block.preludeLines;
    return inBody >= 1 ? `${block.page}:${block.line + inBody}` : `${block.page}:${block.line} (prelude)`;
  };
  if (showAll) {
    for (const e of errors) failures.push(`${where(e)}: error ${e.code}: ${e.message}`);
  } else {
    const more = errors.length > 1 ? ` (+${errors.length - 1} more in the block at line ${block?.line ?? "?"})` : "";
    failures.push(`${where(errors[0])}: error ${errors[0].code}: ${errors[0].message}${more}`);
  }
}

// Coverage of the public names, from the built declarations of every entry point.
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === "object" && target !== null && typeof target.types === "string")
  .map(([sub, target]) => [sub === "." ? "taskio" : `taskio/${sub.slice(2)}`, join(root, target.types)]);
const program = ts.createProgram(entries.map(([, file]) => file), {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  noEmit: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();
const allDocs = [
  readFileSync(join(root, "README.md"), "utf8"),
  ...readdirSync(join(root, "docs")).filter((n) => n.endsWith(".md")).map((n) => readFileSync(join(root, "docs", n), "utf8")),
].join("\n");
let publicNames = 0;
const uncovered = [];
for (const [entry, file] of entries) {
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) {
    problems.push(`coverage: cannot read the declarations of ${entry} (${relative(root, file)})`);
    continue;
  }
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    publicNames++;
    if (!new RegExp(`(?<![\\w$])${symbol.name.replace(/\$/g, "\\$")}(?![\\w$])`).test(allDocs)) uncovered.push(`${entry}: ${symbol.name}`);
  }
}
for (const name of uncovered) problems.push(`coverage: ${name} is exported but named on no docs page (README.md, docs/*.md)`);

failures.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
for (const line of [...problems, ...failures]) console.log(line);
const failingBlocks = byFile.size;
if (failures.length > 0 || problems.length > 0 || (result.status !== 0 && failingBlocks === 0)) {
  console.log(
    `check-docs: ${failingBlocks} of ${blocks.length} ts blocks fail to type-check` +
      (problems.length > 0 ? `, ${problems.length} other problem(s)` : "") +
      ` (${skipped} skipped) in ${pages.length} pages`,
  );
  process.exit(1);
}
console.log(
  `check-docs: ${blocks.length} ts blocks type-check in ${pages.length} pages (${skipped} skipped; strict, NodeNext);` +
    ` all ${publicNames} public names of ${entries.length} entry points are documented`,
);
