// Builds the console into dist/: one hashed script and stylesheet under dist/assets/ and an index.html naming
// them. The output is committed and embedded in the oktavault binary (shared/build.rs), so it must be the same
// bytes on every machine for the same sources: no timestamps, no absolute paths, minified.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync, readdirSync } from 'node:fs';

const dist = new URL('./dist/', import.meta.url).pathname;
rmSync(dist, { recursive: true, force: true });
mkdirSync(`${dist}assets`, { recursive: true });

const result = await build({
  entryPoints: ['src/main.tsx'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome120', 'firefox120', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: `${dist}assets`,
  entryNames: '[name]-[hash]',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => p.slice(p.indexOf('assets/')));
const script = outputs.find((p) => p.endsWith('.js'));
const style = outputs.find((p) => p.endsWith('.css'));
if (!script || !style) throw new Error(`the build wrote no script or stylesheet: ${outputs.join(', ')}`);

writeFileSync(
  `${dist}index.html`,
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oktavault</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/${style}">
<script type="module" src="/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The oktavault console needs JavaScript.</noscript>
</body>
</html>
`,
);
console.log(`console built: ${readdirSync(`${dist}assets`).join(', ')}`);
