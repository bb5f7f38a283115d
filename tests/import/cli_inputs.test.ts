// axon run / axon info on a model with several named inputs (an f32 sequence of open length, an
// f32 initial state, i32 ids from an int64 .npy) and two outputs: one --input name=file each,
// every output written (bit-identical to Model.predict); info lists inputs (open dimensions as
// null, maxima, id ranges) and outputs; a missing or extra input, floats for an i32 input, ids
// outside the declared range and a length beyond the maximum are AxonErrors naming the input (and
// exit 1 with that message from the built command).
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { run } from '../../targets/node/cli/run.js';
import { info, formatInfo } from '../../targets/node/cli/info.js';
import { Model, layers, modelToBytes, modelFromBytes, AxonError, Tensor } from '../../src/index.js';
import { encodeNpy, parseNpy } from '../../src/data/npy.js';
import { randn } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'axon-run-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const at = (f: string) => join(tmp, f);

function lstmModel(): Model {
  const m = new Model({ name: 'lstm-io', inputs: [{ name: 'seq', shape: [null, 4], maxShape: [12, 4] }, { name: 'h0', shape: [6] }, { name: 'tok', shape: [2], dtype: 'i32' }], outputs: ['head', 'rnn:1'], seed: 8 });
  m.add(layers.lstm({ units: 6, returnState: true, name: 'rnn' }), { inputs: ['seq', 'h0'] });
  m.add(layers.embedding({ inputDim: 5, outputDim: 2, name: 'emb' }), { inputs: ['tok'] }).add(layers.flatten({ name: 'ef' }));
  m.add(layers.concatenate({ name: 'cat' }), { inputs: ['rnn', 'ef'] });
  return m.add(layers.dense({ units: 3, activation: 'softmax', name: 'head' }));
}

/** An int64 (<i8) .npy as numpy.save writes it. */
function int64Npy(values: number[], shape: number[]): Uint8Array {
  let header = `{'descr': '<i8', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const out = new Uint8Array(10 + header.length + values.length * 8), dv = new DataView(out.buffer);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0], 0);
  dv.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  values.forEach((v, i) => dv.setBigInt64(10 + header.length + i * 8, BigInt(v), true));
  return out;
}

const n = 3, T = 5;
const seq = randn(n * T * 4, 1), h0 = randn(n * 6, 2), tok = [0, 4, 2, 2, 1, 3];
writeFileSync(at('m.axon'), modelToBytes(lstmModel()));
writeFileSync(at('seq.npy'), encodeNpy(new Tensor(seq, [n, T, 4])));
writeFileSync(at('h0.npy'), encodeNpy(new Tensor(h0, [n, 6])));
writeFileSync(at('tok.npy'), int64Npy(tok, [n, 2]));
const inputs = [`seq=${at('seq.npy')}`, `h0=${at('h0.npy')}`, `tok=${at('tok.npy')}`];

describe('axon run / info with several named inputs and outputs', () => {
  it('run writes every output, bit-identical to Model.predict (int64 ids read as i32)', async () => {
    const { model } = modelFromBytes(readFileSync(at('m.axon')), 'm');
    const want = await model.predict({ seq: new Tensor(seq, [n, T, 4]), h0: new Tensor(h0, [n, 6]), tok: new Tensor(Int32Array.from(tok), [n, 2]) }, { batchSize: 256 });
    const r = await run(at('m.axon'), { input: inputs, out: at('y.npy') });
    expect(r.outputs.map((o) => [o.name, o.shape, o.out])).toEqual([['head', [n, 3], at('y.head.npy')], ['rnn:1', [n, 6], at('y.rnn_1.npy')]]);
    for (const [k, file] of [['head', 'y.head.npy'], ['rnn:1', 'y.rnn_1.npy']]) {
      const got = parseNpy(readFileSync(at(file)), file);
      expect(got.shape).toEqual(want[k].shape);
      expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(want[k].data.buffer, want[k].data.byteOffset, want[k].data.byteLength)), k).toBe(true);
    }
    const j = JSON.parse((await run(at('m.axon'), { input: inputs })).json!);
    expect(Object.keys(j.outputs)).toEqual(['head', 'rnn:1']);
    expect(j.outputs['rnn:1'].predictions.flat()).toEqual(Array.from(want['rnn:1'].data));
    expect(j.outputs.head.classes).toHaveLength(n);
  });

  it('info lists the inputs (open dimensions, maxima, id ranges) and the outputs', async () => {
    const i = await info(at('m.axon'));
    expect(i.inputs).toEqual([
      { name: 'seq', dtype: 'f32', shape: [null, 4], maxShape: [12, 4] }, { name: 'h0', dtype: 'f32', shape: [6] }, { name: 'tok', dtype: 'i32', shape: [2], range: [0, 4] }]);
    expect(i.outputs).toEqual([{ name: 'head', shape: [3] }, { name: 'rnn:1', shape: [6] }]);
    const text = formatInfo(i);
    expect(text).toMatch(/model: lstm-io, 3 inputs → 2 outputs/);
    expect(text).toMatch(/input {2}seq: f32 \[batch, null, 4\] \(at most \[12, 4\]\)/);
    expect(text).toMatch(/input {2}tok: i32 \[batch, 2\] ids in \[0, 4\]/);
    expect(text).toMatch(/output rnn:1: \[batch, 6\]/);
  });

  it('bad inputs are AxonErrors naming the input and what was expected', async () => {
    writeFileSync(at('tok-bad.npy'), int64Npy([0, 5, 2, 2, 1, 3], [n, 2]));
    writeFileSync(at('tok-f.npy'), encodeNpy(new Tensor(Float32Array.from(tok), [n, 2])));
    writeFileSync(at('seq-long.npy'), encodeNpy(new Tensor(randn(n * 13 * 4, 3), [n, 13, 4])));
    writeFileSync(at('tok-huge.npy'), int64Npy([0, 2 ** 40, 2, 2, 1, 3], [n, 2]));
    const cases: Array<[string, string[], RegExp]> = [
      ['missing input', inputs.slice(0, 2), /no --input for "tok"; the model's inputs: seq \(f32 \[n, null,4\]\), h0 \(f32 \[n, 6\]\), tok \(i32 \[n, 2\]\)/],
      ['extra input', [...inputs, `mask=${at('tok.npy')}`], /the model has no input "mask"; its inputs: seq/],
      ['unnamed file for a multi-input model', [at('seq.npy')], /the model has 3 inputs: .*give one --input name=file per input/],
      ['floats for an i32 input', [...inputs.slice(0, 2), `tok=${at('tok-f.npy')}`], /input "tok" is i32 \(ids or a mask\) but the file holds floats; save it as int32 or int64/],
      ['an id outside the declared range', [...inputs.slice(0, 2), `tok=${at('tok-bad.npy')}`], /input "tok": value 5 at sample 0 is outside the input's range \[0, 4\]/],
      ['an int64 beyond int32', [...inputs.slice(0, 2), `tok=${at('tok-huge.npy')}`], /element 1 does not fit in int32/],
      ['a length beyond the declared maximum', [`seq=${at('seq-long.npy')}`, ...inputs.slice(1)], /input "seq": dimension 1 has length 13, beyond the declared maximum 12/],
      ['a raw .bin for an open-length input', [`seq=${at('x.bin')}`, ...inputs.slice(1)], /a raw \.bin has no shape, and "seq" has an open dimension/],
    ];
    for (const [what, input, msg] of cases) {
      const p = run(at('m.axon'), { input });
      await expect(p, what).rejects.toThrowError(AxonError);
      await expect(run(at('m.axon'), { input }), what).rejects.toThrowError(msg);
    }
  });

  it('the built command takes repeated --input and exits 1 with the message on bad input', () => {
    const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
    const ok = spawnSync(process.execPath, [cli, 'run', at('m.axon'), ...inputs.flatMap((i) => ['--input', i]), '--out', at('z.npy')], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/3 samples → head \[3, 3\], rnn:1 \[3, 6\] in [\d.]+ ms; wrote .*z\.head\.npy, .*z\.rnn_1\.npy/);
    const bad = spawnSync(process.execPath, [cli, 'run', at('m.axon'), '--input', inputs[0], '--input', inputs[1]], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^axon: no --input for "tok"/);
    const card = spawnSync(process.execPath, [cli, 'info', at('m.axon')], { encoding: 'utf8' });
    expect(card.stdout).toMatch(/input {2}seq: f32 \[batch, null, 4\]/);
  });
});
