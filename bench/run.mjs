// Benchmark dispatcher: `node bench/run.mjs [name ...]` runs bench/<name>.mjs for each name
// (all bench/*.mjs but this file when none is given), each in its own node process.
// Usage through npm: `npm run bench -- gemm` (builds first).
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const all = readdirSync(dir).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4)).sort();
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const todo = names.length ? names : all;
let failed = 0;
for (const name of todo) {
  const file = `${dir}${name}.mjs`;
  if (!existsSync(file)) { console.error(`bench: no benchmark '${name}' (have: ${all.join(', ')})`); failed++; continue; }
  console.log(`\n=== bench/${name}.mjs ===`);
  const r = spawnSync(process.execPath, [file, ...passThrough], { stdio: 'inherit' });
  if (r.status !== 0) { console.error(`bench: ${name} exited with ${r.status ?? r.signal}`); failed++; }
}
process.exit(failed ? 1 : 0);
