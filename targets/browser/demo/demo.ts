// The browser demo: fetch the digits dataset (.npy), train an MLP in the page with live charts,
// then classify what the user draws on a canvas downsampled to the dataset's 8×8 format.
// Bundled to dist/browser/demo/demo.js with '../index.js' mapped to the published ../axon.js.
import { loadEngine, parseNpy, splitData, Sequential, layers, Tensor, trainingReportSvg, type Logs, type Engine, type Split } from '../index.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const pad = $<HTMLCanvasElement>('pad'), preview = $<HTMLCanvasElement>('preview');
const ctx = pad.getContext('2d', { willReadFrequently: true })!;
const CELL = pad.width / 8; // one dataset pixel = a CELL×CELL block (the dataset counts ink in 4×4 blocks of a 32×32 bitmap)

const state = {
  status: 'loading', build: '', threads: 1, isolated: false, epochs: [] as Logs[], testAccuracy: NaN, error: '',
  lastInput: [] as number[], probabilities: [] as number[], prediction: -1, predictions: 0,
};
const setStatus = (s: string, text: string) => { state.status = s; $('status').textContent = text; };
const fail = (e: unknown) => { state.error = String(e); setStatus('error', `error: ${e}`); };
addEventListener('error', (e) => fail(e.error ?? e.message));
addEventListener('unhandledrejection', (e) => fail(e.reason));

async function fetchNpy(name: string): Promise<Tensor> {
  const res = await fetch(name);
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
  return parseNpy(new Uint8Array(await res.arrayBuffer()), name);
}

// engine and data: loaded at start; failures show on the page (and in state.error)
async function init() {
  // threads: the page's cores where it is cross-origin isolated (serve.mjs sends COOP/COEP), else one thread
  const engine = await loadEngine({ threads: 'auto' });
  state.build = engine.build;
  state.threads = engine.threads;
  state.isolated = globalThis.crossOriginIsolated === true;
  const threads = engine.threaded ? `${engine.threads} threads` : `1 thread${state.isolated ? '' : ' (page not cross-origin isolated)'}`;
  $('build').textContent = `${engine.build === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'} build, ${threads}`;
  const [xRaw, yRaw] = await Promise.all([fetchNpy('digits-x.npy'), fetchNpy('digits-y.npy')]);
  const x = new Tensor(Float32Array.from(xRaw.data, (v) => v / 16), xRaw.shape); // 0..16 → [0, 1]
  const data = splitData(x, yRaw, { validation: 0.1, test: 0.2, seed: 42, name: 'digits' });
  loaded = { engine, data };
  setStatus('ready-to-train', `${x.shape[0]} digits loaded: ${data.train.x.shape[0]} train / ${data.validation.x.shape[0]} validation / ${data.test.x.shape[0]} test`);
  $<HTMLButtonElement>('train').disabled = false;
}
let loaded: { engine: Engine; data: Split } | undefined;
let model: Sequential | undefined;

async function train(epochs: number): Promise<void> {
  if (!loaded) throw new Error('not loaded yet');
  const { engine, data } = loaded;
  $<HTMLButtonElement>('train').disabled = true;
  setStatus('training', 'training…');
  state.epochs = [];
  const m = new Sequential({ inputShape: [64], seed: 42, name: 'digits-mlp', engine });
  m.add(layers.dense({ units: 64, activation: 'relu' })).add(layers.dense({ units: 32, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'adam', lr: 0.003 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const t0 = performance.now();
  await m.fit(data.train.x, data.train.y!, {
    epochs, batchSize: 32, validationData: [data.validation.x, data.validation.y!],
    callbacks: [{
      onEpochEnd: async (epoch, logs) => {
        state.epochs.push({ epoch: epoch + 1, ...logs });
        $('chart').innerHTML = trainingReportSvg(state.epochs, 'digits MLP');
        setStatus('training', `epoch ${epoch + 1}/${epochs}: loss ${logs.loss.toFixed(4)}, accuracy ${(logs.accuracy * 100).toFixed(1)}%, validation ${(logs.val_accuracy * 100).toFixed(1)}%`);
        await new Promise((r) => setTimeout(r, 0)); // let the page paint the chart
      },
    }],
  });
  const secs = (performance.now() - t0) / 1000;
  const test = await m.evaluate(data.test.x, data.test.y!);
  state.testAccuracy = test.accuracy as number;
  model = m;
  $('accuracy').textContent = `test accuracy ${(state.testAccuracy * 100).toFixed(1)}% on ${data.test.x.shape[0]} held-out digits`;
  setStatus('trained', `trained ${epochs} epochs in ${secs.toFixed(2)} s; draw a digit below`);
  $<HTMLButtonElement>('train').disabled = false;
  if (state.lastInput.length) await classify();
}

/** The pad as the dataset's 64 values in [0, 1]: mean ink (red channel) of each CELL×CELL block. */
function downsample(): Float32Array {
  const px = ctx.getImageData(0, 0, pad.width, pad.height).data, out = new Float32Array(64);
  for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) out[((y / CELL) | 0) * 8 + ((x / CELL) | 0)] += px[(y * pad.width + x) * 4] / 255;
  for (let i = 0; i < 64; i++) out[i] /= CELL * CELL;
  return out;
}

async function classify(): Promise<void> {
  const input = downsample();
  state.lastInput = Array.from(input, (v) => v * 16);
  const pctx = preview.getContext('2d')!, img = pctx.createImageData(8, 8);
  input.forEach((v, i) => { img.data.fill(Math.round(v * 255), i * 4, i * 4 + 3); img.data[i * 4 + 3] = 255; });
  pctx.putImageData(img, 0, 0);
  if (!model) return;
  const p = Array.from((await model.predict(new Tensor(input, [1, 64]))).data);
  const best = p.indexOf(Math.max(...p));
  Object.assign(state, { probabilities: p, prediction: best, predictions: state.predictions + 1 });
  $('prediction').textContent = String(best);
  $('probs').innerHTML = p.map((v, d) => `<span${d === best ? ' class="best"' : ''}>${d}</span><div class="track"><div class="bar" style="width:${(v * 100).toFixed(1)}%"></div></div><span>${(v * 100).toFixed(1)}%</span>`).join('');
}

function clear(): void { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, pad.width, pad.height); }

/** Paints 64 dataset values (0..16) as v of the 16 sub-blocks in each cell lit, so the downsample gives them back exactly. */
const BAYER = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5];
async function drawPixels(values: ArrayLike<number>): Promise<void> {
  clear();
  ctx.fillStyle = '#fff';
  const s = CELL / 4;
  for (let i = 0; i < 64; i++) for (let k = 0; k < 16; k++) if (BAYER[k] < values[i]) ctx.fillRect((i % 8) * CELL + (k % 4) * s, ((i / 8) | 0) * CELL + ((k / 4) | 0) * s, s, s);
  await classify();
}

let drawing = false, last: [number, number] | undefined;
const at = (e: PointerEvent): [number, number] => { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * (pad.width / r.width), (e.clientY - r.top) * (pad.height / r.height)]; };
pad.addEventListener('pointerdown', (e) => { drawing = true; last = at(e); pad.setPointerCapture(e.pointerId); });
pad.addEventListener('pointermove', (e) => {
  if (!drawing || !last) return;
  const p = at(e);
  Object.assign(ctx, { strokeStyle: '#fff', lineWidth: CELL * 0.9, lineCap: 'round', lineJoin: 'round' });
  ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...p); ctx.stroke();
  last = p;
});
const end = () => { if (drawing) { drawing = false; last = undefined; void classify(); } };
pad.addEventListener('pointerup', end);
pad.addEventListener('pointercancel', end);
$('clear').addEventListener('click', () => { clear(); state.lastInput = []; $('prediction').textContent = '–'; $('probs').innerHTML = ''; });
$('train').addEventListener('click', () => {
  train(Math.max(1, Math.min(200, Number($<HTMLInputElement>('epochs').value) || 25))).catch(fail);
});
clear();
init().catch(fail);

// For tests and the console: the page's state and a way to draw dataset digits.
Object.assign(globalThis, { axonDemo: { state, drawPixels, classify, train, get data() { return loaded?.data; } } });
