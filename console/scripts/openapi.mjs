// Assembles the API's OpenAPI document as the server does (shared/src/api/mod.rs `openapi_document`: the head,
// then each resource's paths in the order of `routes::RESOURCES`) and generates src/api/schema.d.ts from it with
// openapi-typescript, so the console's types cannot drift from the API.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const api = new URL('../../shared/src/api/', import.meta.url).pathname;
const routes = readFileSync(join(api, 'routes/mod.rs'), 'utf8');
const list = routes.match(/pub const RESOURCES: &\[Resource\] = &\[([^\]]*)\]/);
if (!list) throw new Error('shared/src/api/routes/mod.rs has no `RESOURCES` list to read the resources from');
const names = [...list[1].matchAll(/(\w+)::RESOURCE/g)].map((m) => m[1]);
let document = readFileSync(join(api, 'openapi.yaml'), 'utf8');
for (const name of names) document += readFileSync(join(api, `routes/${name}.yaml`), 'utf8');

const dir = mkdtempSync(join(tmpdir(), 'oktavault-openapi-'));
try {
  const file = join(dir, 'openapi.yaml');
  writeFileSync(file, document);
  const bin = new URL('../node_modules/.bin/openapi-typescript', import.meta.url).pathname;
  execFileSync(bin, [file, '-o', 'src/api/schema.d.ts'], { stdio: ['ignore', 'ignore', 'inherit'] });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`types generated from ${names.length} resources: src/api/schema.d.ts`);
