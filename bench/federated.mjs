// Federated fine-tuning on Durable Objects (issue 18), in real workerd (miniflare) on this machine:
//  1. learning curve: 20 clients with Dirichlet(0.5) non-IID splits of the digits train an MLP
//     64-32-10 locally (1 epoch per round, SGD momentum), FedAvg / FedAvgM / FedAdam on the server,
//     against centralized training on the same rows (one epoch per round); test accuracy per round,
//     written as a plot to bench/federated-curve.svg;
//  2. load: 20 clients push at once (f32 deltas of a 64-128-64-10 MLP and of a 235k-parameter MLP),
//     per-request latency p50 / p99 and accepted updates per second.
//   npm run build && node bench/federated.mjs [--rounds=25] [--load-rounds=10]
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Sequential, layers, modelToBytes, parseNpy, dirichletSplit, chartSvg, Tensor } from '../dist/node.js';
import { FederatedClient, encodeUpdate, layoutOf } from '../dist/federated.js';
import { startFederated } from '../targets/workers/federated/miniflare.mjs';

const arg = (k, d) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
const ROUNDS = arg('rounds', 25), LOAD_ROUNDS = arg('load-rounds', 10), CLIENTS = 20, ADMIN = 'owner-token';
const X = parseNpy(readFileSync('models/digits/digits-x.npy'), 'x'), Y = parseNpy(readFileSync('models/digits/digits-y.npy'), 'y');
const N = Y.shape[0];
const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => ((a * 2654435761) % 4093) - ((b * 2654435761) % 4093));
const testRows = order.slice(0, 360), trainRows = order.slice(360);
const subset = (rows) => {
  const x = new Float32Array(rows.length * 64), y = new Float32Array(rows.length * 10);
  rows.forEach((r, i) => { for (let j = 0; j < 64; j++) x[i * 64 + j] = X.data[r * 64 + j] / 16; y[i * 10 + Y.data[r]] = 1; });
  return { x: new Tensor(x, [rows.length, 64]), y: new Tensor(y, [rows.length, 10]), n: rows.length };
};
const test = subset(testRows);
const mlp = (units = [32]) => { const m = new Sequential({ inputShape: [64], seed: 7 }); for (const u of units) m.add(layers.dense({ units: u, activation: 'relu' })); m.add(layers.dense({ units: 10, activation: 'softmax' })); return m; };
const compile = (m) => m.compile({ optimizer: { type: 'momentum', lr: 0.05, momentum: 0.9 }, loss: 'categoricalCrossentropy' });
async function accuracy(m) {
  const p = await m.predict(test.x);
  let ok = 0;
  for (let i = 0; i < test.n; i++) { const row = p.data.subarray(i * 10, i * 10 + 10); if (row.indexOf(Math.max(...row)) === Y.data[testRows[i]]) ok++; }
  return ok / test.n;
}
const server = await startFederated();
const post = (path, body, token = ADMIN) => fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
async function job(name, model, config) {
  const r = await post(`/jobs/${name}`, JSON.stringify({ model: Buffer.from(modelToBytes(model)).toString('base64'), config }));
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${await r.text()}`);
  return (await (await post(`/jobs/${name}/tokens`, JSON.stringify({ clients: Array.from({ length: CLIENTS }, (_, c) => `c${c}`) }))).json()).tokens;
}

// ── 1. learning curves ──
const parts = dirichletSplit(trainRows.map((i) => Y.data[i]), CLIENTS, 0.5, 3).map((p) => p.map((j) => trainRows[j]));
const central = mlp(); compile(central);
const all = subset(trainRows), curves = { centralized: [] };
for (let r = 0; r < ROUNDS; r++) { await central.fit(all.x, all.y, { epochs: 1, batchSize: 32, seed: r }); curves.centralized.push(await accuracy(central)); }
for (const optimizer of ['fedavg', 'fedavgm', 'fedadam']) {
  const srv = { optimizer, ...(optimizer === 'fedavgm' ? { lr: 0.5, momentum: 0.5 } : optimizer === 'fedadam' ? { lr: 0.01 } : {}) };
  const tokens = await job(`curve-${optimizer}`, mlp(), { quorum: CLIENTS, rounds: ROUNDS, deadlineMs: 600_000, clipNorm: 50, server: srv });
  const clients = await Promise.all(parts.map(async (rows, c) => {
    const fc = new FederatedClient({ url: server.url, job: `curve-${optimizer}`, client: `c${c}`, token: tokens[`c${c}`] });
    const m = await fc.model(); compile(m);
    return { fc, m, data: subset(rows) };
  }));
  const evalModel = mlp(), curve = (curves[optimizer] = []);
  for (let r = 0; r < ROUNDS; r++) {
    await Promise.all(clients.map(({ fc, m, data }) => fc.trainRound(m, data.x, data.y, { epochs: 1, batchSize: 16 })));
    evalModel.setWeights((await clients[0].fc.pull()).weights);
    curve.push(await accuracy(evalModel));
  }
}
const pct = (a) => (a * 100).toFixed(1);
console.log(`Learning curves: 20 clients, Dirichlet(0.5) non-IID digits (${trainRows.length} train / 360 test rows, client sizes ${Math.min(...parts.map((p) => p.length))}–${Math.max(...parts.map((p) => p.length))}), MLP 64-32-10, 1 local epoch per round\n`);
console.log('| rounds | ' + Object.keys(curves).join(' | ') + ' |');
console.log('|---|' + Object.keys(curves).map(() => '---|').join(''));
for (const r of [0, 4, 9, 14, 19, ROUNDS - 1].filter((r, i, a) => r < ROUNDS && a.indexOf(r) === i)) console.log(`| ${r + 1} | ${Object.values(curves).map((c) => pct(c[r])).join(' | ')} |`);
writeFileSync('bench/federated-curve.svg', chartSvg([{ series: Object.entries(curves).map(([name, values]) => ({ name, values: values.map((v) => v * 100), dashed: name === 'centralized' })), options: { title: 'Federated fine-tuning on Durable Objects: test accuracy (%) per round (20 non-IID clients)', xLabel: 'round (centralized: epoch)', yLabel: 'accuracy %', width: 720, height: 360, yRange: [0, 100] } }]));
console.log('\nplot: bench/federated-curve.svg');

// ── 2. load: 20 clients push at once (--load-rounds=0 skips it) ──
if (LOAD_ROUNDS > 0) {
console.log('\nLoad: 20 clients push their update at the same moment, then the round closes; per-request latency over all rounds\n');
console.log('| model | parameters | update bytes | rounds | p50 ms | p99 ms | updates/s (20 at once) |');
console.log('|---|---|---|---|---|---|---|');
{ // the floor: the same concurrency on a request that does no work (GET /status)
  const tokens = await job('floor', mlp(), {}), lat = [];
  const t0 = performance.now();
  for (let r = 0; r < LOAD_ROUNDS; r++) await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => { const s = performance.now(); const x = await fetch(`${server.url}/jobs/floor/status`, { headers: { authorization: `Bearer c${c}.${tokens[`c${c}`]}` } }); await x.arrayBuffer(); lat.push(performance.now() - s); }));
  const wall = performance.now() - t0;
  lat.sort((a, b) => a - b);
  console.log(`| (floor: GET /status, no work) | – | – | ${LOAD_ROUNDS} | ${lat[Math.floor(0.5 * lat.length)].toFixed(1)} | ${lat[Math.floor(0.99 * lat.length)].toFixed(1)} | ${(CLIENTS * LOAD_ROUNDS / (wall / 1000)).toFixed(0)} requests/s |`);
}
for (const [name, units] of [['MLP 64-128-64-10', [128, 64]], ['MLP 64-512-384-10 (235k)', [512, 384]]]) {
  const model = mlp(units), { layout } = layoutOf(modelToBytes(model));
  const tokens = await job(`load-${units.join('-')}`, model, { quorum: CLIENTS, rounds: LOAD_ROUNDS + 1, deadlineMs: 600_000, clipNorm: 1e9 });
  const lat = [];
  let wall = 0, bytes = 0;
  for (let r = 0; r < LOAD_ROUNDS; r++) {
    const bodies = Array.from({ length: CLIENTS }, (_, c) => encodeUpdate(layout, new Float32Array(layout.total).fill((c + 1) * 1e-4), { round: r, samples: 10 + c }));
    bytes = bodies[0].length;
    const t0 = performance.now();
    const res = await Promise.all(bodies.map(async (b, c) => { const s = performance.now(); const x = await post(`/jobs/load-${units.join('-')}/update`, b, `c${c}.${tokens[`c${c}`]}`); await x.arrayBuffer(); lat.push(performance.now() - s); return x.status; }));
    wall += performance.now() - t0;
    if (res.some((s) => s !== 200)) throw new Error(`load round ${r}: statuses ${res}`);
  }
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
  console.log(`| ${name} | ${layout.total.toLocaleString('en')} | ${(bytes / 1024).toFixed(1)} KiB | ${LOAD_ROUNDS} | ${q(0.5)} | ${q(0.99)} | ${(CLIENTS * LOAD_ROUNDS / (wall / 1000)).toFixed(0)} |`);
}
}
await server.close();
