// Golden tests: Conv2D, MaxPool, AveragePool, RNN, LSTM and GRU forward against onnxruntime-node
// on one-node ONNX graphs built here (a minimal protobuf encoder; onnx.proto field numbers), with
// fixed seeded weights, within 1e-4. Converts at the edges exactly as an importer must: NCHW ↔ NHWC,
// (OC, C/g, KH, KW) → (KH, KW, C/g, OC), ONNX gate orders (LSTM i o f c, GRU z r h) → PyTorch's
// (i f g o, r z n), B = [Wb | Rb] → b_ih, b_hh.
import { describe, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { engine, randn, expectClose } from '../helpers.js';
import { run, out, inp, Arg, Buf } from '../kernels/kit.js';

const e = await engine();
const TOL = [1e-4, 1e-4] as const;

// ---- protobuf wire format: just what ModelProto needs ----
type Field = Uint8Array;
const varint = (v: number | bigint): number[] => {
  let x = BigInt.asUintN(64, BigInt(v));
  const b: number[] = [];
  do { let byte = Number(x & 0x7fn); x >>= 7n; if (x) byte |= 0x80; b.push(byte); } while (x);
  return b;
};
const cat = (parts: (Uint8Array | number[])[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const vint = (no: number, v: number | bigint): Field => Uint8Array.from([...varint(no << 3), ...varint(v)]);
const bytes = (no: number, b: Uint8Array): Field => cat([varint((no << 3) | 2), varint(b.length), b]);
const str = (no: number, s: string): Field => bytes(no, new TextEncoder().encode(s));
const f32 = (no: number, v: number): Field => cat([varint((no << 3) | 5), new Uint8Array(Float32Array.of(v).buffer)]);
const msg = (no: number, ...fields: Field[]): Field => bytes(no, cat(fields));

type Attr = number | number[] | string;
// AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7)
const attr = (name: string, v: Attr, float = false): Field =>
  typeof v === 'string' ? msg(5, str(1, name), bytes(4, new TextEncoder().encode(v)), vint(20, 3))
    : Array.isArray(v) ? msg(5, str(1, name), ...v.map((x) => vint(8, x)), vint(20, 7))
      : float ? msg(5, str(1, name), f32(2, v), vint(20, 1)) : msg(5, str(1, name), vint(3, v), vint(20, 2));
// TensorProto: dims 1, data_type 2 (FLOAT 1), name 8, raw_data 9
const tensor = (name: string, dims: number[], data: Float32Array): Field =>
  msg(5, ...dims.map((d) => vint(1, d)), vint(2, 1), str(8, name), bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
// ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 → dim_value 1
const valueInfo = (no: number, name: string, dims: number[]): Field =>
  msg(no, str(1, name), msg(2, msg(1, vint(1, 1), msg(2, ...dims.map((d) => msg(1, vint(1, d)))))));

/** A one-node model: inputs fed at run time, initializers baked in, named outputs. */
function model(op: string, inputs: [string, number[]][], inits: [string, number[], Float32Array][], outputs: string[], attrs: Field[]): Uint8Array {
  const node = msg(1, ...[...inputs.map(([n]) => n), ...inits.map(([n]) => n)].map((n) => str(1, n)), ...outputs.map((n) => str(2, n)), str(4, op), ...attrs);
  const graph = msg(7, node, str(2, 'g'), ...inits.map(([n, d, v]) => tensor(n, d, v)), ...inputs.map(([n, d]) => valueInfo(11, n, d)),
    ...outputs.map((n) => msg(12, str(1, n))));
  return cat([vint(1, 8), str(2, 'axon-test'), graph, msg(8, str(1, ''), vint(2, 17))]);
}
async function ortRun(bytesIn: Uint8Array, feeds: Record<string, [Float32Array, number[]]>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytesIn);
  const r = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, [d, dims]]) => [k, new ort.Tensor('float32', d, dims)])));
  return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.data as Float32Array]));
}

// ---- layout conversions ----
const nchwToNhwc = (x: Float32Array, N: number, C: number, H: number, W: number) => {
  const y = new Float32Array(x.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) y[((n * H + h) * W + w) * C + c] = x[((n * C + c) * H + h) * W + w];
  return y;
};
const oihwToHwio = (w: Float32Array, OC: number, Cg: number, KH: number, KW: number) => {
  const y = new Float32Array(w.length);
  for (let o = 0; o < OC; o++) for (let c = 0; c < Cg; c++) for (let h = 0; h < KH; h++) for (let q = 0; q < KW; q++) y[((h * KW + q) * Cg + c) * OC + o] = w[((o * Cg + c) * KH + h) * KW + q];
  return y;
};
/** Reorders the gate blocks (each H rows of `cols`) of a (G*H, cols) matrix or (G*H) vector: out block k = in block order[k]. */
const gates = (w: Float32Array, H: number, cols: number, order: number[]) => {
  const y = new Float32Array(w.length), blk = H * cols;
  order.forEach((src, k) => y.set(w.subarray(src * blk, (src + 1) * blk), k * blk));
  return y;
};

// ---- Conv2D ----
interface ConvCase { N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number; s: [number, number]; p: [number, number, number, number]; d: [number, number]; g: number }
const CONVS: [string, ConvCase][] = [
  ['3x3 C3→8 stride 2 asymmetric pads', { N: 2, C: 3, H: 9, W: 8, OC: 8, KH: 3, KW: 3, s: [2, 2], p: [1, 0, 2, 1], d: [1, 1], g: 1 }],
  ['3x2 C5→4 dilation 2', { N: 1, C: 5, H: 10, W: 9, OC: 4, KH: 3, KW: 2, s: [1, 1], p: [2, 1, 2, 1], d: [2, 2], g: 1 }],
  ['1x1 C17→5', { N: 2, C: 17, H: 4, W: 5, OC: 5, KH: 1, KW: 1, s: [1, 1], p: [0, 0, 0, 0], d: [1, 1], g: 1 }],
  ['groups 2 C4→6', { N: 1, C: 4, H: 7, W: 7, OC: 6, KH: 3, KW: 3, s: [1, 2], p: [1, 1, 1, 1], d: [1, 1], g: 2 }],
  ['depthwise 3x3 C8 same', { N: 2, C: 8, H: 8, W: 7, OC: 8, KH: 3, KW: 3, s: [1, 1], p: [1, 1, 1, 1], d: [1, 1], g: 8 }],
  ['depthwise 3x3 C5 stride 2 (TF same pads)', { N: 1, C: 5, H: 9, W: 9, OC: 5, KH: 3, KW: 3, s: [2, 2], p: [1, 1, 1, 1], d: [1, 1], g: 5 }],
];

describe('golden: Conv2D against onnxruntime (NCHW model, NHWC kernels)', () => {
  it.each(CONVS)('%s', async (_, q) => {
    const Cg = q.C / q.g, x = randn(q.N * q.C * q.H * q.W, 1), w = randn(q.OC * Cg * q.KH * q.KW, 2, 0.4), b = randn(q.OC, 3);
    const m = model('Conv', [['x', [q.N, q.C, q.H, q.W]]], [['w', [q.OC, Cg, q.KH, q.KW], w], ['b', [q.OC], b]], ['y'],
      [attr('strides', q.s), attr('pads', q.p), attr('dilations', q.d), attr('group', q.g), attr('kernel_shape', [q.KH, q.KW])]);
    const { y: want } = await ortRun(m, { x: [x, [q.N, q.C, q.H, q.W]] });
    const OH = Math.floor((q.H + q.p[0] + q.p[2] - q.d[0] * (q.KH - 1) - 1) / q.s[0]) + 1, OW = Math.floor((q.W + q.p[1] + q.p[3] - q.d[1] * (q.KW - 1) - 1) / q.s[1]) + 1;
    const dims = [q.N, q.H, q.W, q.C, q.OC, q.KH, q.KW, ...q.s, ...q.p, ...q.d, q.g];
    const sc = Math.max(4, (e.kernels.conv2d_scratch_floats as (...a: number[]) => number)(...dims));
    for (const isa of ['ref', 'simd']) {
      const [y] = run(e, `f32_conv2d_fwd__${isa}`, [out(q.N * OH * OW * q.OC), inp(nchwToNhwc(x, q.N, q.C, q.H, q.W)), inp(oihwToHwio(w, q.OC, Cg, q.KH, q.KW)), out(sc), ...dims]).outs as Float32Array[];
      const [yb] = run(e, 'f32_bias_add__simd', [out(y), inp(b), q.N * OH * OW, q.OC]).outs as Float32Array[];
      expectClose(yb, nchwToNhwc(want, q.N, q.OC, OH, OW), TOL[0], TOL[1], `conv ${isa}`);
    }
  });
});

// ---- MaxPool / AveragePool ----
const POOLS: [string, number[], number[], number[], number[]][] = [
  // label, [N, C, H, W], kernel, strides, pads (top, left, bottom, right)
  ['2x2 s2 C3', [2, 3, 8, 7], [2, 2], [2, 2], [0, 0, 0, 1]],
  ['3x3 s2 C5 pads', [1, 5, 9, 8], [3, 3], [2, 2], [1, 1, 1, 0]],
  ['3x2 s1 C17 asym pads', [1, 17, 6, 7], [3, 2], [1, 1], [1, 0, 0, 1]],
];

describe('golden: MaxPool and AveragePool against onnxruntime', () => {
  it.each(POOLS)('%s', async (_, [N, C, H, W], [KH, KW], [sh, sw], pads) => {
    const x = randn(N * C * H * W, 4), xs = nchwToNhwc(x, N, C, H, W);
    const OH = Math.floor((H + pads[0] + pads[2] - KH) / sh) + 1, OW = Math.floor((W + pads[1] + pads[3] - KW) / sw) + 1, ny = N * OH * OW * C;
    const common = [attr('kernel_shape', [KH, KW]), attr('strides', [sh, sw]), attr('pads', pads)];
    const geo = [N, H, W, C, KH, KW, sh, sw, ...pads];
    const { y: mx } = await ortRun(model('MaxPool', [['x', [N, C, H, W]]], [], ['y'], common), { x: [x, [N, C, H, W]] });
    const { y: mxd } = await ortRun(model('MaxPool', [['x', [N, C, H, W]]], [], ['y'], [...common.slice(0, 2), attr('pads', [0, 0, 0, 0]), attr('dilations', [2, 1])]), { x: [x, [N, C, H, W]] });
    const OHd = Math.floor((H - 2 * (KH - 1) - 1) / sh) + 1, OWd = Math.floor((W - KW) / sw) + 1;
    for (const isa of ['ref', 'simd']) {
      const maxArgs = (g: number[], n: number): Arg[] => [out(n), new Buf('i32', new Int32Array(n), true), inp(xs), ...g];
      const [y] = run(e, `f32_maxpool2d_fwd__${isa}`, maxArgs([...geo, 1, 1], ny)).outs as Float32Array[];
      expectClose(y, nchwToNhwc(mx, N, C, OH, OW), 0, 1e-30, `maxpool ${isa}`);
      const [yd] = run(e, `f32_maxpool2d_fwd__${isa}`, maxArgs([N, H, W, C, KH, KW, sh, sw, 0, 0, 0, 0, 2, 1], N * OHd * OWd * C)).outs as Float32Array[];
      expectClose(yd, nchwToNhwc(mxd, N, C, OHd, OWd), 0, 1e-30, `maxpool dilated ${isa}`);
      for (const inc of [0, 1]) {
        const { y: av } = await ortRun(model('AveragePool', [['x', [N, C, H, W]]], [], ['y'], [...common, attr('count_include_pad', inc)]), { x: [x, [N, C, H, W]] });
        const [ya] = run(e, `f32_avgpool2d_fwd__${isa}`, [out(ny), inp(xs), ...geo, inc]).outs as Float32Array[];
        expectClose(ya, nchwToNhwc(av, N, C, OH, OW), 1e-5, 1e-6, `avgpool ${isa} count_include_pad=${inc}`);
      }
    }
  });
});

// ---- RNN / LSTM / GRU (ONNX layout 0 = time-major, one direction) ----
const SEQ: [number, number, number, number][] = [[5, 3, 4, 6], [3, 2, 7, 5]]; // T, N, I, H

describe('golden: RNN, LSTM, GRU against onnxruntime (PyTorch gate order inside, ONNX order outside)', () => {
  it.each(SEQ)('T=%i N=%i I=%i H=%i', async (T, N, I, H) => {
    const x = randn(T * N * I, 5), h0 = randn(N * H, 6, 0.5), c0 = randn(N * H, 7, 0.5);
    const dims = [T, N, I, H];
    const feeds = { x: [x, [T, N, I]] as [Float32Array, number[]], h0: [h0, [1, N, H]] as [Float32Array, number[]], c0: [c0, [1, N, H]] as [Float32Array, number[]] };
    const sc = (cell: number) => out(Math.max(4, (e.kernels.rnn_scratch_floats as (...a: number[]) => number)(cell, ...dims)));
    for (const [op, cell, G, onnxOrder] of [['RNN', 0, 1, [0]], ['LSTM', 1, 4, [0, 3, 1, 2]], ['GRU', 2, 3, [1, 0, 2]]] as const) {
      // PyTorch-order weights; the ONNX model gets them reordered: ONNX block k = PyTorch block onnxOrder[k]
      const s = 1 / Math.sqrt(H), wih = randn(G * H * I, 8 + cell, s), whh = randn(G * H * H, 11 + cell, s), bih = randn(G * H, 14 + cell, s), bhh = randn(G * H, 17 + cell, s);
      const order = [...onnxOrder];
      const B = new Float32Array(2 * G * H); B.set(gates(bih, H, 1, order)); B.set(gates(bhh, H, 1, order), G * H);
      const inputs: [string, number[]][] = [['x', [T, N, I]]];
      const inits: [string, number[], Float32Array][] = [['W', [1, G * H, I], gates(wih, H, I, order)], ['R', [1, G * H, H], gates(whh, H, H, order)], ['B', [1, 2 * G * H], B]];
      // node inputs: X W R B sequence_lens(empty name) initial_h [initial_c]
      const attrs = [attr('hidden_size', H), ...(op === 'GRU' ? [attr('linear_before_reset', 1)] : [])];
      const stateIns: [string, number[]][] = op === 'LSTM' ? [['h0', [1, N, H]], ['c0', [1, N, H]]] : [['h0', [1, N, H]]];
      const m = rnnModel(op, inputs, inits, stateIns, ['Y', 'Y_h', ...(op === 'LSTM' ? ['Y_c'] : [])], attrs);
      const want = await ortRun(m, op === 'LSTM' ? feeds : { x: feeds.x, h0: feeds.h0 });
      for (const isa of ['ref', 'simd']) {
        let hs: Float32Array;
        if (cell === 0) [hs] = run(e, `f32_rnn_fwd__${isa}`, [out(T * N * H), inp(x), inp(h0), inp(wih), inp(whh), inp(bih), inp(bhh), sc(0), ...dims]).outs as Float32Array[];
        else if (cell === 1) {
          const r = run(e, `f32_lstm_fwd__${isa}`, [out(T * N * H), out(T * N * H), out(T * N * 4 * H), inp(x), inp(h0), inp(c0), inp(wih), inp(whh), inp(bih), inp(bhh), sc(1), ...dims]).outs as Float32Array[];
          hs = r[0];
          expectClose(r[1].subarray((T - 1) * N * H), want.Y_c, TOL[0], TOL[1], `${op} ${isa} Y_c`);
        } else [hs] = run(e, `f32_gru_fwd__${isa}`, [out(T * N * H), out(T * N * 3 * H), out(T * N * H), inp(x), inp(h0), inp(wih), inp(whh), inp(bih), inp(bhh), sc(2), ...dims]).outs as Float32Array[];
        expectClose(hs, want.Y, TOL[0], TOL[1], `${op} ${isa} Y`); // Y (T, 1, N, H) = hs (T, N, H)
        expectClose(hs.subarray((T - 1) * N * H), want.Y_h, TOL[0], TOL[1], `${op} ${isa} Y_h`);
      }
    }
  });
});

/** ONNX recurrent node: X W R B, '' for sequence_lens, then the initial states as graph inputs. */
function rnnModel(op: string, inputs: [string, number[]][], inits: [string, number[], Float32Array][], states: [string, number[]][], outputs: string[], attrs: Field[]): Uint8Array {
  const ins = ['x', 'W', 'R', 'B', '', ...states.map(([n]) => n)];
  const node = msg(1, ...ins.map((n) => str(1, n)), ...outputs.map((n) => str(2, n)), str(4, op), ...attrs);
  const graph = msg(7, node, str(2, 'g'), ...inits.map(([n, d, v]) => tensor(n, d, v)), ...[...inputs, ...states].map(([n, d]) => valueInfo(11, n, d)),
    ...outputs.map((n) => msg(12, str(1, n))));
  return cat([vint(1, 8), str(2, 'axon-test'), graph, msg(8, str(1, ''), vint(2, 17))]);
}
