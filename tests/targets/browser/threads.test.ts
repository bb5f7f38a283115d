// The threaded builds in real Chromium: a page served cross-origin isolated (COOP same-origin, COEP
// require-corp) loads dist/browser/axon.js, gets the threaded twin of its build for threads: 2
// (Web Workers over shared memory), and every kernel family and a trained CNN give the same bits on
// 2 threads as on 1, with the work split between the threads. The same page served without those
// headers is not isolated: the same calls get the single-thread build, and the same bits.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, Browser } from 'playwright-core';
import { buildBrowser } from '../../../targets/browser/build.mjs';
import { serveStatic } from '../../../targets/browser/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

// The page: kernel calls on a 1-thread and a 2-thread engine, then a LeNet-like CNN trained on each.
// Plain JS (served as is). Buffers: a typed array (copied in), or { zero: bytes } / { scratch: bytes }
// (zeroed; scratch is not compared: threads use their own). Calls: [kernel, args], { b: k } = buffer k.
const PAGE_JS = String.raw`
import { loadEngine, Sequential, layers, Tensor } from '../axon.js';

function rng(seed) { let s = seed >>> 0 || 1; return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s + 0.5) / 4294967296; }; }
const randn = (n, seed, scale = 1) => { const u = rng(seed); return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())); };
const i8s = (n, seed, lo = -128, hi = 127) => { const u = rng(seed); return Int8Array.from({ length: n }, () => lo + Math.floor(u() * (hi - lo + 1))); };
const B = (b) => ({ b });

function run(e, bufs, calls) {
  const mark = e.mark();
  try {
    const ptrs = bufs.map((b) => (ArrayBuffer.isView(b) ? e.put(b) : e.allocZeroed(Math.max(16, b.zero ?? b.scratch))));
    const before = e.exports.mt_jobs();
    for (const [k, args] of calls) e.kernels[k](...args.map((a) => (typeof a === 'number' ? a : ptrs[a.b])));
    const bytes = bufs.map((b, i) => (b.scratch ? null : new Uint8Array(e.memory.buffer, ptrs[i], ArrayBuffer.isView(b) ? b.byteLength : b.zero).slice()));
    return { bytes, jobs: e.exports.mt_jobs() - before };
  } finally { e.reset(mark); }
}
const same = (a, b) => a.every((x, i) => x === null || (x.length === b[i].length && x.every((v, k) => v === b[i][k])));
function hash(list) { let h = 0x811c9dc5; for (const x of list) if (x) for (const v of x) h = Math.imul(h ^ v, 16777619) >>> 0; return h.toString(16); }

function cases(e) {
  const K = e.kernels, n = (1 << 20) + 37;
  const gemm = [256, 256, 256];
  const dw = [2, 40, 40, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32];
  const [M, N, Kd] = [64, 100, 300];
  const [T, NB, I, H] = [3, 32, 24, 96];
  const attn = [2, 2, 128, 128, 32];
  return [
    ['f32 GEMM 256^3', [{ zero: 256 * 256 * 4 }, randn(256 * 256, 1), randn(256 * 256, 2), { scratch: 4 * K.gemm_scratch_floats(...gemm) }],
      [['f32_gemm__simd', [B(0), B(1), B(2), B(3), ...gemm, 0, 0, 0]]]],
    ['depthwise conv 3x3: fwd, bwd_x, bwd_w', [{ zero: 2 * 40 * 40 * 32 * 4 }, randn(2 * 40 * 40 * 32, 1), randn(9 * 32, 2, 0.3), { scratch: 16 }, randn(2 * 40 * 40 * 32, 3), randn(9 * 32, 4)],
      [['f32_conv2d_fwd__simd', [B(0), B(1), B(2), B(3), ...dw]], ['f32_conv2d_bwd_x__simd', [B(4), B(0), B(2), B(3), ...dw]], ['f32_conv2d_bwd_w__simd', [B(5), B(0), B(1), B(3), ...dw]]]],
    ['int8 GEMM (7-bit weights)', [{ zero: M * N }, i8s(M * Kd, 1), { zero: K.qs8_pack_w_bytes(N, Kd) }, { scratch: K.qs8_gemm_scratch_bytes(M, N, Kd) }, i8s(N * Kd, 2, -64, 63),
      new Int32Array(N).fill(77), new Float32Array(N).fill(0.002)],
      [['qs8_pack_w__relaxed', [B(2), B(4), B(5), B(6), N, Kd]], ['qs8_gemm_fwd__relaxed', [B(0), B(1), B(2), B(3), M, N, Kd, 3, 0.05, 0.2, -5, -128, 127]]]],
    ['LSTM(96) batch 32: forward', [{ zero: T * NB * H * 4 }, { zero: T * NB * H * 4 }, { zero: T * NB * 4 * H * 4 }, randn(T * NB * I, 1), randn(NB * H, 2), randn(NB * H, 3),
      randn(4 * H * I, 4, 0.1), randn(4 * H * H, 5, 0.1), randn(4 * H, 6), randn(4 * H, 7), { scratch: 4 * K.rnn_scratch_floats(1, T, NB, I, H) }],
      [['f32_lstm_fwd__simd', [B(0), B(1), B(2), B(3), B(4), B(5), B(6), B(7), B(8), B(9), B(10), T, NB, I, H]]]],
    ['attention probs and context', [{ zero: 2 * 2 * 128 * 128 * 4 }, randn(2 * 128 * 64, 1), randn(2 * 128 * 64, 2), randn(2 * 128 * 64, 3), new Int32Array(256).fill(1), { zero: 2 * 128 * 64 * 4 }],
      [['f32_attn_probs__simd', [B(0), B(1), B(2), B(4), ...attn, 0.17, 0, 1]], ['f32_attn_ctx__simd', [B(5), B(0), B(3), ...attn, 1, 0]]]],
    ['layer norm 512x600: fwd, bwd', [{ zero: 512 * 600 * 4 }, { zero: 2048 }, { zero: 2048 }, randn(512 * 600, 1), randn(600, 2), randn(600, 3), randn(512 * 600, 4), randn(600, 5), randn(600, 6), randn(512 * 600, 7)],
      [['f32_layernorm_fwd__simd', [B(0), B(1), B(2), B(3), B(4), B(5), 512, 600, 1e-5]], ['f32_layernorm_bwd__simd', [B(6), B(7), B(8), B(9), B(3), B(1), B(2), B(4), 512, 600]]]],
    ['Adam over 2^20 + 37 parameters', [randn(n, 1), randn(n, 2), randn(n, 3), new Float32Array(n).fill(0.01), { zero: 16 }, Float32Array.of(1e-3, 0.9, 0.999, 1e-8, 0.01, 0, 0.1, 0.001, 0, 0)],
      [['f32_adam__simd', [B(0), B(1), B(2), B(3), B(4), B(5), n]]]],
  ];
}

async function lenet(threads) {
  const e = await loadEngine({ threads });
  const m = new Sequential({ inputShape: [28, 28, 1], seed: 7, engine: e })
    .add(layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
    .add(layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' })).add(layers.maxPool2d({ poolSize: 2 }))
    .add(layers.flatten()).add(layers.dense({ units: 120, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy' });
  const x = new Tensor(randn(128 * 784, 1), [128, 28, 28, 1]), y = new Tensor(Int32Array.from({ length: 128 }, (_, i) => (i * 7) % 10), [128]);
  await m.fit(x, y, { epochs: 1, batchSize: 64, shuffle: true });
  const se = m.sess.bound.engine;
  se.exports.mt_set_thresholds(1 << 20, 0);
  await se.startThreads();
  await m.fit(x, y, { epochs: 2, batchSize: 64, shuffle: true });
  const p = (await m.predict(x, { batchSize: 64 })).data;
  const jobs = se.exports.mt_jobs();
  se.stopThreads();
  const bytes = [new Uint8Array(p.buffer.slice(0))];
  for (const [, w] of m.getWeights()) bytes.push(new Uint8Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength)));
  return { bytes, jobs, threaded: se.threaded };
}

globalThis.runThreads = async () => {
  const e1 = await loadEngine({ threads: 1 }), e2 = await loadEngine({ threads: 2 });
  e2.exports.mt_set_thresholds(1 << 20, 0); // (the cases test bits: split them all, below the default MT_MIN_WORK too)
  await e2.startThreads();
  const out = { isolated: globalThis.crossOriginIsolated === true, sab: typeof SharedArrayBuffer === 'function', builds: [e1.build, e2.build],
    threaded: [e1.threaded, e2.threaded], threads: [e1.threads, e2.threads], workers: e2.exports.mt_ready(), cases: [] };
  for (const [name, bufs, calls] of cases(e1)) {
    const a = run(e1, bufs, calls), b = run(e2, bufs, calls);
    out.cases.push({ name, same: same(a.bytes, b.bytes), jobs1: a.jobs, jobs2: b.jobs, hash: hash(a.bytes) });
  }
  e2.stopThreads();
  const m1 = await lenet(1), m2 = await lenet(2);
  out.model = { same: same(m1.bytes, m2.bytes), jobs1: m1.jobs, jobs2: m2.jobs, threaded: m2.threaded, hash: hash(m1.bytes) };
  return out;
};
`;

interface Result {
  isolated: boolean; sab: boolean; builds: string[]; threaded: boolean[]; threads: number[]; workers: number;
  cases: { name: string; same: boolean; jobs1: number; jobs2: number; hash: string }[];
  model: { same: boolean; jobs1: number; jobs2: number; threaded: boolean; hash: string };
}

if (!HAVE && process.env.CI) {
  it('needs Chromium', () => { throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`); });
}

describe.skipIf(!HAVE)('threads in Chromium', () => {
  let browser: Browser, dir: string;
  let isolated: { url: string; close: () => Promise<void> }, open: { url: string; close: () => Promise<void> };
  const results: Record<string, Result> = {};
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-threads-'));
    await buildBrowser({ outdir: dir });
    mkdirSync(join(dir, 'threads'));
    writeFileSync(join(dir, 'threads', 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>threads</title><script type="module" src="./page.js"></script>\n');
    writeFileSync(join(dir, 'threads', 'page.js'), PAGE_JS);
    isolated = await serveStatic(dir);
    open = await serveStatic(dir, { isolated: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await open?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function runPage(url: string): Promise<Result> {
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${url}/threads/index.html`);
    await page.waitForFunction(() => typeof (globalThis as { runThreads?: unknown }).runThreads === 'function', null, { timeout: 30_000 });
    const r = await page.evaluate(() => (globalThis as unknown as { runThreads: () => Promise<unknown> }).runThreads()) as Result;
    await page.close();
    return r;
  }

  it('a cross-origin isolated page gets the threaded build: every family and a trained CNN, same bits on 2 threads as on 1, work split', async () => {
    const r = (results.isolated = await runPage(isolated.url));
    expect(r.isolated && r.sab, 'crossOriginIsolated and SharedArrayBuffer').toBe(true);
    expect(r.builds).toEqual(['relaxed', 'relaxed']);
    expect(r.threaded).toEqual([false, true]);
    expect(r.threads).toEqual([1, 2]);
    expect(r.workers, 'one Web Worker parked').toBe(1);
    for (const c of r.cases) {
      expect(c.same, `${c.name}: 2 threads give 1 thread's bits`).toBe(true);
      expect(c.jobs1, `${c.name}: one thread`).toBe(0);
      expect(c.jobs2, `${c.name}: split between threads`).toBeGreaterThan(0);
    }
    expect(r.model.same, 'LeNet-like CNN: weights and predictions').toBe(true);
    expect(r.model.threaded && r.model.jobs2 > 0 && r.model.jobs1 === 0).toBe(true);
    expect(errors).toEqual([]);
  }, 240_000);

  it('the same page without COOP/COEP: one thread, no error, the same bits', async () => {
    const r = await runPage(open.url);
    expect(r.isolated, 'not cross-origin isolated').toBe(false);
    expect(r.builds).toEqual(['relaxed', 'relaxed']);
    expect(r.threaded).toEqual([false, false]);
    expect(r.threads).toEqual([1, 1]);
    expect(r.workers).toBe(0);
    for (const c of r.cases) expect(c.same && c.jobs2 === 0, c.name).toBe(true);
    expect(r.model.same && !r.model.threaded && r.model.jobs2 === 0).toBe(true);
    if (results.isolated) {
      expect(r.cases.map((c) => c.hash), 'the isolated page\'s results').toEqual(results.isolated.cases.map((c) => c.hash));
      expect(r.model.hash).toBe(results.isolated.model.hash);
    }
    expect(errors).toEqual([]);
  }, 240_000);
});
