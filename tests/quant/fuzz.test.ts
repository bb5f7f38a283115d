// Fuzzing int8 model files through the whole loader: 1,500 seeded mutations of a quantized CNN's
// file (conv, depthwise, max pool, dense with int8 and f32 outputs, dynamic dense) — quantization
// parameters (scales 0 / negative / NaN / huge / strings, zero points out of range), int8 layer
// configs, tensor dtypes and shapes, and bytes of the weights, scales and biases. Each file must
// either load and run (finite or not, no trap) or throw an AxonError; nothing else may escape.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, layers, Tensor, modelToBytes, modelFromBytes, AxonError } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { Rng } from '../../src/runtime/rng.js';
import { quantizeModel } from '../../src/quant/index.js';
import { engine, randn } from '../helpers.js';

const CASES = 1500;
let e: Engine;
let seeds: Uint8Array[];
const X = new Tensor(randn(4 * 6 * 6 * 2, 3), [4, 6, 6, 2]);

beforeAll(async () => {
  e = await engine();
  const m = new Sequential({ inputShape: [6, 6, 2], seed: 9, engine: e });
  m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })).add(layers.depthwiseConv2d({ kernelSize: 3, activation: 'relu6' }))
    .add(layers.maxPool2d({ poolSize: 2 })).add(layers.flatten()).add(layers.dense({ units: 5, activation: 'relu' })).add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  const calib = new Tensor(randn(32 * 72, 4), [32, 6, 6, 2]);
  seeds = [modelToBytes(await quantizeModel(m, calib)), modelToBytes(await quantizeModel(m, undefined, { mode: 'dynamic' }))];
});

const JUNK: unknown[] = [0, -1, -0.5, 1e-45, 1e39, 3.5, 128, -129, 2 ** 31, NaN, null, 'x', [], {}, true, 'relu', 'tanh', 'f32', 'i8'];

function mutate(r: Rng, src: Uint8Array): Uint8Array {
  const pick = <T>(a: readonly T[]): T => a[r.int(a.length)];
  const hlen = new DataView(src.buffer, src.byteOffset).getUint32(0, true);
  const kind = r.int(4);
  if (kind === 0) { // bytes of the tensor data (weights, scales, biases)
    const b = src.slice();
    for (let n = 1 + r.int(6); n > 0; n--) b[8 + hlen + r.int(b.length - 8 - hlen)] ^= 1 << r.int(8);
    return b;
  }
  const h = JSON.parse(new TextDecoder().decode(src.subarray(8, 8 + hlen)));
  const md = h.__metadata__, graph = JSON.parse(md.graph), quant = md.quant ? JSON.parse(md.quant) : { layers: {} };
  for (let n = 1 + r.int(3); n > 0; n--) {
    const names = Object.keys(quant.layers), tensors = Object.keys(h).filter((k) => k !== '__metadata__');
    if (kind === 1 && names.length) { // quantization parameters
      const q = quant.layers[pick(names)];
      if (r.uniform() < 0.2 || typeof q !== 'object' || q === null || Array.isArray(q) || !Object.keys(q).length) { quant.layers[pick(names)] = pick(JUNK); continue; }
      const side = pick(Object.keys(q));
      q[side] = r.uniform() < 0.3 ? pick(JUNK) : { ...q[side], [pick(['scale', 'zeroPoint'])]: pick(JUNK) };
    } else if (kind === 2) { // int8 layer configs (the f32 layers' own configs are fuzzed elsewhere)
      const l = pick((graph.layers as Array<{ type: string; config: Record<string, unknown> }>).filter((k) => /^(q|quantize|dequantize)/.test(k.type)));
      l.config[pick(['filters', 'kernelSize', 'strides', 'groups', 'units', 'activation', 'output', 'padding', 'poolSize', 'useBias'])] = pick(JUNK);
    } else { // tensor dtypes and shapes (consistent sizes, wrong meaning)
      const t = h[pick(tensors)];
      if (r.uniform() < 0.5) t.dtype = pick(['I8', 'U8', 'I32', 'F32']);
      else t.shape = [...t.shape].reverse();
    }
  }
  md.graph = JSON.stringify(graph);
  md.quant = JSON.stringify(quant);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const body = src.subarray(8 + hlen), out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8); out.set(body, 8 + json.length);
  return out;
}

describe('int8 model file fuzzing', () => {
  it(`${CASES} mutated int8 model files: load and run, or throw an AxonError`, async () => {
    const r = new Rng(77), tally = { ran: 0, rejected: 0 }, codes = new Set<string>();
    let slowest = 0;
    for (let c = 0; c < CASES; c++) {
      const bytes = mutate(r, seeds[c % seeds.length]), t = performance.now();
      try {
        const { model } = modelFromBytes(bytes, 'fuzz', e);
        const y = await model.predict(X, { batchSize: 4 });
        expect(y.shape[0]).toBe(4);
        tally.ran++;
      } catch (err) {
        if (!(err instanceof AxonError)) throw new Error(`case ${c}: unexpected ${(err as Error)?.stack ?? err}`);
        codes.add(err.code);
        tally.rejected++;
      }
      slowest = Math.max(slowest, performance.now() - t);
    }
    console.log(`int8 fuzz: ${CASES} files, ${tally.ran} loaded and ran, ${tally.rejected} rejected (${[...codes].join(', ')}), slowest ${slowest.toFixed(1)} ms`);
    expect(tally.ran).toBeGreaterThan(CASES / 10);
    expect(tally.rejected).toBeGreaterThan(CASES / 10);
    expect(slowest).toBeLessThan(5000);
  }, 120_000);
});
