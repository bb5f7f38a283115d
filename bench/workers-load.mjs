// Workers load test: N POST /predict requests (default 1,000) at concurrency C (default 20) against
// the template Worker (dist/workers/worker.js) in local workerd (miniflare), 127.0.0.1 only.
// Bounded in count and in time (a deadline for the whole run, a timeout per request). Half the good
// requests send JSON, half binary f32; every 50th request is malformed (rotating kinds) and must
// get a 4xx JSON error while the others succeed with the right class. Reports errors and p50/p90/
// p99/max latency (client side, Node fetch) for good and malformed requests, and requests/s.
//   node bench/workers-load.mjs [requests=1000] [concurrency=20]     (after npm run build)
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startWorker } from '../targets/workers/miniflare.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const N = Math.min(10_000, Number(process.argv[2] ?? 1000)), C = Math.min(64, Number(process.argv[3] ?? 20));
const DEADLINE_MS = 180_000, REQUEST_TIMEOUT_MS = 15_000, BAD_EVERY = 50;

const { parseNpy } = await import('../dist/node.js');
const X = parseNpy(readFileSync(join(root, 'models/digits/digits-x.npy')), 'x'), Y = parseNpy(readFileSync(join(root, 'models/digits/digits-y.npy')), 'y');
const row = (i) => Array.from(X.data.subarray(i * 64, i * 64 + 64), (v) => v / 16);

const worker = await startWorker({ dir: join(root, 'dist/workers') });
if (new URL(worker.url).hostname !== '127.0.0.1') throw new Error(`refusing to load-test ${worker.url}: 127.0.0.1 only`);
const url = `${worker.url}/predict`;

const BAD = [
  ['truncated JSON', '{"inputs": [[0, 1', 'application/json', {}, 400, 'BAD_JSON'],
  ['short row', JSON.stringify({ inputs: [[0, 1, 2]] }), 'application/json', {}, 400, 'BAD_SHAPE'],
  ['NaN', JSON.stringify({ inputs: [[NaN, ...row(0).slice(1)]] }), 'application/json', {}, 400, 'NOT_FINITE'],
  ['string value', JSON.stringify({ inputs: [['a', ...row(0).slice(1)]] }), 'application/json', {}, 400, 'BAD_DTYPE'],
  ['binary length mismatch', new Uint8Array(100), 'application/octet-stream', { 'x-shape': '1,64' }, 400, 'BAD_SHAPE'],
  ['oversized body', new Uint8Array((1 << 20) + 16), 'application/octet-stream', { 'x-shape': '1,64' }, 413, 'TOO_LARGE'],
];

/** One request; returns { ok, ms, bad, why }. */
async function one(i, signal) {
  const isBad = i % BAD_EVERY === BAD_EVERY - 1;
  const t0 = performance.now();
  try {
    if (isBad) {
      const [what, body, type, headers, status, code] = BAD[Math.floor(i / BAD_EVERY) % BAD.length];
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': type, ...headers }, signal });
      const j = await res.json();
      const ms = performance.now() - t0;
      return { bad: true, ms, ok: res.status === status && j.code === code && typeof j.error === 'string', why: `${what}: ${res.status} ${j.code}` };
    }
    const k = i % X.shape[0], binary = i % 2 === 1;
    const res = binary
      ? await fetch(url, { method: 'POST', body: new Uint8Array(Float32Array.from(row(k)).buffer), headers: { 'content-type': 'application/octet-stream', 'x-shape': '1,64' }, signal })
      : await fetch(url, { method: 'POST', body: JSON.stringify({ inputs: [row(k)] }), headers: { 'content-type': 'application/json' }, signal });
    const j = await res.json();
    const ms = performance.now() - t0;
    return { bad: false, ms, ok: res.status === 200 && j.outputs?.[0]?.length === 10, pred: j.predictions?.[0], label: Y.data[k], why: `${res.status} ${j.code ?? ''}` };
  } catch (e) {
    return { bad: isBad, ms: performance.now() - t0, ok: false, why: String(e) };
  }
}

// warm-up (isolate start, first compile of the plan): not counted
for (let i = 0; i < 20; i++) await one(i * 2, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
const info = await (await fetch(`${worker.url}/`)).json();

const results = [];
let next = 0;
const deadline = performance.now() + DEADLINE_MS, t0 = performance.now();
await Promise.all(Array.from({ length: C }, async () => {
  while (next < N && performance.now() < deadline) {
    const i = next++;
    results.push(await one(i, AbortSignal.timeout(REQUEST_TIMEOUT_MS)));
  }
}));
const wall = (performance.now() - t0) / 1000;
await worker.close();

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const good = results.filter((r) => !r.bad), bad = results.filter((r) => r.bad);
const errors = results.filter((r) => !r.ok);
const wrong = good.filter((r) => r.ok && r.pred !== r.label).length;
const lat = (rs) => rs.length ? `${pct(rs.map((r) => r.ms), 50).toFixed(2)} / ${pct(rs.map((r) => r.ms), 90).toFixed(2)} / ${pct(rs.map((r) => r.ms), 99).toFixed(2)} / ${Math.max(...rs.map((r) => r.ms)).toFixed(2)}` : '–';
console.log(`Workers load: ${results.length}/${N} POST /predict at concurrency ${C} in ${wall.toFixed(2)} s (${(results.length / wall).toFixed(0)} req/s); workerd via miniflare on 127.0.0.1; Worker build: ${info.build}; node ${process.version}, ${cpus()[0].model} x${cpus().length}\n`);
console.log('| requests | count | failed | latency ms p50 / p90 / p99 / max |');
console.log('|---|---|---|---|');
console.log(`| good (1 row; JSON and binary alternating) | ${good.length} | ${good.filter((r) => !r.ok).length} | ${lat(good)} |`);
console.log(`| malformed (${BAD.map((b) => b[0]).join(', ')}) | ${bad.length} | ${bad.filter((r) => !r.ok).length} | ${lat(bad)} |`);
console.log(`\nerrors (wrong status/code, network, timeouts): ${errors.length}; good requests misclassified vs label: ${wrong}/${good.length} (model accuracy, not an error)`);
for (const e of errors.slice(0, 5)) console.log(`  ${e.bad ? 'malformed' : 'good'}: ${e.why}`);
if (results.length < N) console.log(`stopped at the ${DEADLINE_MS / 1000} s deadline`);
process.exit(errors.length || results.length < N ? 1 : 0);
