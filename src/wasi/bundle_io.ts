// The IO section of a WASI bundle (version 2, src/wasi/bundle.ts): the model's declared inputs
// (names, dtypes, shapes with open dimensions, maxima, id ranges) and their arena buffers, the
// outputs, the concrete shape sets the bundle holds plans for, and the losses fine-tuning feeds.
// A version-1 bundle has no IO section: legacyIO() describes its one f32 input and one output.
// Node-free. assembly/wasi/bundle_io.ts reads the same layout.
//
//   IO (kind 6), u32 words, names' starts relative to the section:
//     I, O, K (shape sets), L (losses)
//     I x 24: arena offset, dtype (0 f32, 1 i32), rank R (<= 8), has range, range lo, range hi (i32),
//             name start, name length, 8 declared dims (0: open), 8 maxima (0: unbounded)
//     O x 4:  arena offset, name start, name length, 0
//     K x I x 8: per-sample dims of input i in shape set k (rank R, zero padded)
//     K x O:  f32 values per sample of output o at shape set k
//     L x 8:  output index, target offset, loss offset, target kind (1 f32 rows, 2 i32 class ids),
//             target words per sample, classes, 0, 0
//     UTF-8 names
import { AxonError } from '../errors.js';

export const MAX_RANK = 8;
const IN_WORDS = 24, OUT_WORDS = 4, LOSS_WORDS = 8;

export interface BundleInput { name: string; dtype: 'f32' | 'i32'; offset: number; shape: Array<number | null>; max: Array<number | null>; range?: [number, number] }
export interface BundleOutput { name: string; offset: number }
export interface BundleLoss { output: number; target: number; loss: number; kind: 1 | 2; words: number; classes: number }
export interface BundleIO {
  inputs: BundleInput[];
  outputs: BundleOutput[];
  /** per shape set, per input: its per-sample dims */
  shapes: number[][][];
  /** per shape set, per output: f32 values per sample */
  outSizes: number[][];
  losses: BundleLoss[];
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** Values per sample of input i at shape set k. */
export const inputSize = (io: BundleIO, k: number, i: number): number => size(io.shapes[k][i]);
/** "5x4,6": a shape set as `--shape` takes it (inputs separated by commas). */
export const shapeSetKey = (set: number[][]): string => set.map((s) => s.join('x')).join(',');
/** The shape sets a bundle holds, for messages: "[5,4] [6]; [9,4] [6]" with the input names. */
export function describeShapes(io: BundleIO): string {
  return io.shapes.map((set) => `${shapeSetKey(set)} (${set.map((s, i) => `${io.inputs[i].name} [${s}]`).join(', ')})`).join('; ');
}

/** The IO of a version-1 bundle: one f32 input "input" and one output "output", one shape set. */
export function legacyIO(h: { inFeatures: number; outFeatures: number; input: number; output: number; target: number; loss: number; targetKind: number; targetWords: number; classes: number; hasTrain: boolean }): BundleIO {
  return {
    inputs: [{ name: 'input', dtype: 'f32', offset: h.input, shape: [h.inFeatures], max: [h.inFeatures] }],
    outputs: [{ name: 'output', offset: h.output }], shapes: [[[h.inFeatures]]], outSizes: [[h.outFeatures]],
    losses: h.hasTrain ? [{ output: 0, target: h.target, loss: h.loss, kind: h.targetKind as 1 | 2, words: h.targetWords, classes: h.classes }] : [],
  };
}

export function encodeIO(io: BundleIO): Uint8Array {
  const I = io.inputs.length, O = io.outputs.length, K = io.shapes.length, L = io.losses.length;
  const names = [...io.inputs, ...io.outputs].map((x) => new TextEncoder().encode(x.name));
  const words = 4 + I * IN_WORDS + O * OUT_WORDS + K * I * MAX_RANK + K * O + L * LOSS_WORDS;
  const out = new Uint8Array(words * 4 + names.reduce((a, n) => a + n.length, 0));
  const dv = new DataView(out.buffer);
  let w = 0, at = words * 4;
  const put = (v: number) => { dv.setUint32(4 * w++, v >>> 0, true); };
  const name = (k: number) => { put(at); put(names[k].length); out.set(names[k], at); at += names[k].length; };
  [I, O, K, L].forEach(put);
  io.inputs.forEach((m, i) => {
    if (m.shape.length > MAX_RANK) throw new AxonError('BAD_CONFIG', `bundle: input "${m.name}" has rank ${m.shape.length}; bundles take inputs of rank <= ${MAX_RANK}`);
    put(m.offset); put(m.dtype === 'i32' ? 1 : 0); put(m.shape.length); put(m.range ? 1 : 0); put(m.range?.[0] ?? 0); put(m.range?.[1] ?? 0); name(i);
    for (let d = 0; d < MAX_RANK; d++) put(m.shape[d] ?? 0);
    for (let d = 0; d < MAX_RANK; d++) put(m.max[d] ?? 0);
  });
  io.outputs.forEach((o, k) => { put(o.offset); name(I + k); put(0); });
  for (const set of io.shapes) for (const s of set) for (let d = 0; d < MAX_RANK; d++) put(s[d] ?? 0);
  for (const row of io.outSizes) row.forEach(put);
  for (const l of io.losses) [l.output, l.target, l.loss, l.kind, l.words, l.classes, 0, 0].forEach(put);
  return out;
}

/** Reads an IO section (every count and name checked); `bad` throws. */
export function parseIO(sec: Uint8Array, bad: (m: string) => never): BundleIO {
  const dv = new DataView(sec.buffer, sec.byteOffset, sec.byteLength);
  const u = (k: number) => { if (k * 4 + 4 > sec.length) bad('the IO section is truncated'); return dv.getUint32(k * 4, true); };
  const [I, O, K, L] = [u(0), u(1), u(2), u(3)];
  if (I < 1 || O < 1 || K < 1 || I > 64 || O > 64 || K > 4096 || L > O) bad(`the IO section declares ${I} inputs, ${O} outputs, ${K} shape sets and ${L} losses`);
  u(4 + I * IN_WORDS + O * OUT_WORDS + K * I * MAX_RANK + K * O + L * LOSS_WORDS - 1);
  const name = (w: number, what: string) => {
    const s = u(w), n = u(w + 1);
    if (s + n > sec.length) bad(`${what}'s name lies outside the IO section`);
    return new TextDecoder().decode(sec.subarray(s, s + n));
  };
  let w = 4;
  const inputs: BundleInput[] = [];
  for (let i = 0; i < I; i++, w += IN_WORDS) {
    const R = u(w + 2), dt = u(w + 1);
    if (R < 1 || R > MAX_RANK || dt > 1) bad(`input ${i} has rank ${R} and dtype code ${dt}`);
    const dims = (from: number) => Array.from({ length: R }, (_, d) => u(w + from + d) || null);
    inputs.push({ name: name(w + 6, `input ${i}`), dtype: dt ? 'i32' : 'f32', offset: u(w), shape: dims(8), max: dims(16), ...(u(w + 3) ? { range: [u(w + 4) | 0, u(w + 5) | 0] as [number, number] } : {}) });
  }
  const outputs: BundleOutput[] = [];
  for (let o = 0; o < O; o++, w += OUT_WORDS) outputs.push({ name: name(w + 1, `output ${o}`), offset: u(w) });
  const shapes: number[][][] = [];
  for (let k = 0; k < K; k++) {
    shapes.push(inputs.map((m, i) => {
      const s = Array.from({ length: m.shape.length }, (_, d) => u(w + i * MAX_RANK + d));
      s.forEach((v, d) => { if (v < 1 || (m.shape[d] !== null && v !== m.shape[d]) || (m.max[d] !== null && v > m.max[d]!)) bad(`shape set ${k}: input "${m.name}" dimension ${d + 1} is ${v}, outside its declaration`); });
      return s;
    }));
    w += I * MAX_RANK;
  }
  const outSizes: number[][] = [];
  for (let k = 0; k < K; k++, w += O) outSizes.push(Array.from({ length: O }, (_, o) => u(w + o)));
  const losses: BundleLoss[] = [];
  for (let l = 0; l < L; l++, w += LOSS_WORDS) {
    const kind = u(w + 3);
    if (u(w) >= O || (kind !== 1 && kind !== 2)) bad(`loss ${l} reads output ${u(w)} with target kind ${kind}`);
    losses.push({ output: u(w), target: u(w + 1), loss: u(w + 2), kind: kind as 1 | 2, words: u(w + 4), classes: u(w + 5) });
  }
  // (the programs view these buffers as f32 / i32 arrays)
  const offsets = [...inputs.map((m) => m.offset), ...outputs.map((o) => o.offset), ...losses.flatMap((l) => [l.target, l.loss])];
  if (offsets.some((v) => v % 4)) bad('the IO section\'s input, output, target and loss offsets must be multiples of 4');
  return { inputs, outputs, shapes, outSizes, losses };
}

/**
 * The shape sets whose per-sample sizes divide every input's element count into the same number
 * of rows (how the programs pick a plan when no --shape is given). One shape set: always it.
 */
export function shapesFitting(io: BundleIO, counts: number[]): number[] {
  if (io.shapes.length === 1) return [0];
  return io.shapes.flatMap((_, k) => {
    const rows = counts.map((c, i) => c / inputSize(io, k, i));
    return rows.every((r) => Number.isInteger(r) && r === rows[0]) ? [k] : [];
  });
}

/** Parses a --shape value: "5x4,6" (per input, dims joined by x; inputs by commas). */
export function parseShapeSet(s: string): number[][] | undefined {
  const set = s.split(',').map((p) => p.split('x').map((d) => (/^\d{1,9}$/.test(d) ? Number(d) : NaN)));
  return set.every((sh) => sh.every((d) => d >= 1)) ? set : undefined;
}
