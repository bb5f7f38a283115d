// WASI bundles of models with several named inputs (f32 and i32) and outputs and an open sequence
// length: the bundle holds plans for the shape sets it was compiled for and says which when asked
// for another; a missing or extra file, ids outside the declared range, a length beyond the
// declared maximum exit nonzero naming the input and what was expected (both hosts), and the
// JS-host runner throws the matching AxonError. A version-1 bundle (one input, no IO section)
// still runs, bit-identical to the version-2 bundle of the same model.
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, Sequential, layers, Tensor, setDefaultEngineLoader, AxonError } from '../../../src/index.js';
import { compileBundle, parseBundle, bundleChecksum, HEADER_BYTES, SEC } from '../../../src/wasi/bundle.js';
import { BundleRunner } from '../../../src/wasi/finetune.js';
import { engine } from '../../helpers.js';
import { normals } from '../conformance/cases.js';
import { onBothHosts, bytesOf, expectSameBits } from './hosts.js';

setDefaultEngineLoader(() => engine());
const e = await engine();

/** seq [null, 4] (at most 12) and h0 [6] f32, tok [2] i32 ids in [0, 5): head and h_n out. */
function model(): Model {
  const m = new Model({ inputs: [{ name: 'seq', shape: [null, 4], maxShape: [12, 4] }, { name: 'h0', shape: [6] }, { name: 'tok', shape: [2], dtype: 'i32' }], outputs: ['head', 'rnn:1'], seed: 9, engine: e });
  m.add(layers.gru({ units: 6, returnState: true, name: 'rnn' }), { inputs: ['seq', 'h0'] });
  m.add(layers.embedding({ inputDim: 5, outputDim: 2, name: 'emb' }), { inputs: ['tok'] }).add(layers.flatten({ name: 'ef' }));
  m.add(layers.concatenate({ name: 'cat' }), { inputs: ['rnn', 'ef'] });
  return m.add(layers.dense({ units: 3, name: 'head' }));
}
const SHAPES = [[[3, 4], [6], [2]], [[7, 4], [6], [2]], [[12, 4], [6], [2]]];
const feeds = (T: number, n: number, seed = 1) => [normals(n * T * 4, seed), normals(n * 6, seed + 1), Int32Array.from({ length: n * 2 }, (_, i) => (i * 3 + seed) % 5)];
const files = (xs: ArrayBufferView[]) => Object.fromEntries(xs.map((x, i) => [`x${i}.bin`, bytesOf(x)]));
const INFER = ['infer', '@m.axb', '@x0.bin', '@x1.bin', '@x2.bin', '@head.bin', '@hn.bin'];
let bundle: Uint8Array;
beforeAll(async () => { bundle = await compileBundle(model(), { batch: 4, shapes: SHAPES }); });

async function expectFailure(args: string[], f: Record<string, Uint8Array>, code: number, msg: RegExp): Promise<void> {
  for (const r of await onBothHosts(args, f)) {
    expect(r.code, `${r.host}: exit code (stderr: ${r.stderr})`).toBe(code);
    expect(r.stderr, r.host).toMatch(msg);
    expect(r.files.has('head.bin') || r.files.has('out.bin'), `${r.host}: no output written`).toBe(false);
  }
}

describe('WASI bundles with several inputs and outputs and an open length', () => {
  it('carry the declared inputs, outputs and compiled shape sets', () => {
    const b = parseBundle(bundle);
    expect(b.version).toBe(2);
    expect(b.io.inputs.map((m) => [m.name, m.dtype, m.shape, m.max, m.range])).toEqual([
      ['seq', 'f32', [null, 4], [12, 4], undefined], ['h0', 'f32', [6], [6], undefined], ['tok', 'i32', [2], [2], [0, 4]]]);
    expect(b.io.outputs.map((o) => o.name)).toEqual(['head', 'rnn:1']);
    expect(b.io.shapes).toEqual(SHAPES);
    expect(b.io.outSizes).toEqual([[3, 6], [3, 6], [3, 6]]);
    expect(b.plans.length).toBe(3 * 4);
  });

  it('run at each compiled length (picked by file sizes or --shape) = Model.predict, bit for bit', async () => {
    const m = model();
    for (const [T, n, shape] of [[3, 5, ''], [7, 4, '7x4,6,2'], [12, 2, '']] as const) {
      const xs = feeds(T, n, T);
      const want = (await m.predict([new Tensor(xs[0], [n, T, 4]), new Tensor(xs[1], [n, 6]), new Tensor(xs[2], [n, 2])], { batchSize: 4 })).map((t) => t.data as Float32Array);
      const r = new BundleRunner(e, bundle);
      try { r.inferAll(xs).forEach((o, k) => expectSameBits(o, want[k], `JS-host runner T=${T} output ${k}`)); } finally { r.dispose(); }
      for (const h of await onBothHosts([...INFER, ...(shape ? ['--shape', shape] : [])], { 'm.axb': bundle, ...files(xs) })) {
        expect(h.code, `${h.host}: ${h.stderr}`).toBe(0);
        expectSameBits(h.files.get('head.bin'), want[0], `${h.host} T=${T} head`);
        expectSameBits(h.files.get('hn.bin'), want[1], `${h.host} T=${T} h_n`);
      }
    }
  });

  it('a length it has no plan for, or beyond the declared maximum: exit 65 listing the compiled shapes', async () => {
    const listed = /3x4,6,2 \(seq \[3,4\], h0 \[6\], tok \[2\]\); 7x4,6,2 .*; 12x4,6,2/;
    await expectFailure([...INFER, '--shape', '5x4,6,2'], { 'm.axb': bundle, ...files(feeds(5, 2)) }, 65, /no plans for --shape 5x4,6,2; it was compiled for 3x4,6,2/);
    await expectFailure(INFER, { 'm.axb': bundle, ...files(feeds(5, 2)) }, 65, listed);
    await expectFailure(INFER, { 'm.axb': bundle, ...files(feeds(13, 2)) }, 65, /fit none of the shapes this bundle has plans for/);
    const r = new BundleRunner(e, bundle);
    try {
      expect(() => r.inferAll(feeds(5, 2))).toThrow(/none of the bundle's shape sets fit .*seq: 40 values.*compiled for 3x4,6,2/);
      expect(() => r.inferAll(feeds(5, 2), [[5, 4], [6], [2]])).toThrow(/no plans for input shapes 5x4,6,2; it was compiled for 3x4,6,2/);
    } finally { r.dispose(); }
    await expect(compileBundle(model(), { batch: 4, shapes: [[[13, 4], [6], [2]]] })).rejects.toThrow(/input "seq" shape \[13,4\] does not fit its declaration \[null,4\] \(maxShape \[12,4\]\)/);
    const open = new Model({ inputs: [{ name: 'seq', shape: [null, 4] }], engine: e }).add(layers.lstm({ units: 2 }));
    await expect(compileBundle(open, { batch: 2 })).rejects.toThrow(/input "seq" has an open dimension without a maximum; give the concrete shapes/);
  });

  it('empty files fit every shape set: exit 64 asking for --shape', () =>
    expectFailure(INFER, { 'm.axb': bundle, ...files([new Float32Array(0), new Float32Array(0), new Int32Array(0)]) }, 64, /several of the bundle's shape sets fit the input files .*choose one with --shape/));

  it('a missing or extra file: exit 64 naming the inputs and outputs', async () => {
    const usage = /bundle \S*m\.axb takes 3 inputs \(seq f32 \[null,4\], h0 f32 \[6\], tok i32 \[2\]\) and writes 2 outputs \(head, rnn:1\)/;
    await expectFailure(INFER.filter((a) => a !== '@x2.bin'), { 'm.axb': bundle, ...files(feeds(3, 2)) }, 64, usage);
    await expectFailure([...INFER, '@extra.bin'], { 'm.axb': bundle, ...files(feeds(3, 2)) }, 64, usage);
    const r = new BundleRunner(e, bundle);
    try { expect(() => r.inferAll(feeds(3, 2).slice(0, 2))).toThrow(/takes 3 inputs \(seq \(f32\), h0 \(f32\), tok \(i32\)\), got 2/); } finally { r.dispose(); }
  });

  it('ids outside the declared range, rows that disagree, wrong dtypes: exit 65 / AxonError naming the input', async () => {
    const xs = feeds(3, 2);
    (xs[2] as Int32Array)[3] = 5;
    await expectFailure(INFER, { 'm.axb': bundle, ...files(xs) }, 65, /input "tok" \S*x2\.bin: value 5 at sample 1 is outside the input's range \[0, 4\]/);
    const ragged = files([...feeds(3, 2).slice(0, 2), new Int32Array(6)]);
    await expectFailure(INFER, { 'm.axb': bundle, ...ragged }, 65, /the input files \(seq \S*x0\.bin: 96 bytes, h0 \S*x1\.bin: 48 bytes, tok \S*x2\.bin: 24 bytes\) fit none/);
    await expectFailure([...INFER, '--shape', '3x4,6,2'], { 'm.axb': bundle, ...ragged }, 65, /input "tok" \S*x2\.bin: 3 rows, but input "seq" \S*x0\.bin has 2/);
    const r = new BundleRunner(e, bundle);
    try {
      expect(() => r.inferAll(xs)).toThrow(/input "tok": value 5 at sample 1 is outside the input's range \[0, 4\]/);
      expect(() => r.inferAll([...feeds(3, 2).slice(0, 2), new Float32Array(4)])).toThrow(AxonError);
      expect(() => r.inferAll([...feeds(3, 2).slice(0, 2), new Float32Array(4)])).toThrow(/input "tok" is i32: pass an Int32Array/);
    } finally { r.dispose(); }
  });

  it('a version-1 bundle (no IO section) still infers and fine-tunes, bit-identical to version 2', async () => {
    const seqModel = () => new Sequential({ inputShape: [5], seed: 4, engine: e }).add(layers.dense({ units: 3, activation: 'softmax' }))
      .compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'sparseCategoricalCrossentropy' });
    const v2 = await compileBundle(seqModel(), { batch: 4, epochs: 1, samples: 10 });
    const v1 = asVersion1(v2);
    expect(parseBundle(v1).version).toBe(1);
    expect(parseBundle(v1).io.inputs.map((m) => m.name)).toEqual(['input']);
    const x = normals(10 * 5, 3), y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
    const runs = async (b: Uint8Array) => [
      ...(await onBothHosts(['infer', '@m.axb', '@x.bin', '@out.bin'], { 'm.axb': b, 'x.bin': bytesOf(x) })),
      ...(await onBothHosts(['finetune', '@m.axb', '@x.bin', '@y.bin', '1', '@out.bin'], { 'm.axb': b, 'x.bin': bytesOf(x), 'y.bin': bytesOf(y) })),
    ];
    const [a, b] = [await runs(v2), await runs(v1)];
    a.forEach((r, i) => { expect(r.code, r.stderr).toBe(0); expect(b[i].code, b[i].stderr).toBe(0); expectSameBits(b[i].files.get('out.bin'), r.files.get('out.bin')!, `v1 = v2 (${r.host}, run ${i})`); });
    const v9 = v1.slice(); new DataView(v9.buffer).setUint32(4, 3, true);
    await expectFailure(['infer', '@m.axb', '@x.bin', '@out.bin'], { 'm.axb': v9, 'x.bin': bytesOf(x) }, 65, /bundle version 3 is not supported \(this program reads versions 1 and 2\); recompile it/);
  });
});

/** The same bundle as version 1 wrote it: version 1, no IO section (the last table entry), no train shape word. */
function asVersion1(b: Uint8Array): Uint8Array {
  const c = b.slice(), dv = new DataView(c.buffer);
  const S = dv.getUint32(12, true);
  expect(dv.getUint32(HEADER_BYTES + (S - 1) * 16, true)).toBe(SEC.IO);
  dv.setUint32(4, 1, true);
  dv.setUint32(12, S - 1, true);
  dv.setUint32(21 * 4, 0, true);
  dv.setUint32(88, bundleChecksum(c), true);   // (re-sealed: the header changed)
  return c;
}
