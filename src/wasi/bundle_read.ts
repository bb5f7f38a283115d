// Reading a WASI bundle (the layout: bundle_format.ts): every offset, size and plan checked before
// use (plans against the op registry, compile/plan_check.ts); what the Node target's runner and the
// CLI read. assembly/wasi/bundle.ts is the WASI program's reader and must accept exactly the same.
import { AxonError } from '../errors.js';
import { checkPlanWords } from '../compile/plan_check.js';
import { size } from '../layers/layer.js';
import { BundleIO, describeShapes, legacyIO, parseIO, shapeSetKey } from './bundle_io.js';
import { Bundle, BUNDLE_MAGIC, BUNDLE_VERSION, HEADER_BYTES, SEC, MODE, NONE, FLAG_SHUFFLE, FLAG_TRAIN, FLAG_CHECKSUM, MAX_ARENA_BYTES, bundleChecksum } from './bundle_format.js';

const pad4 = (n: number) => (n + 3) & ~3;

/** Reads and checks a bundle (every offset and size), or throws BAD_MODEL_FILE saying what is wrong. */
export function parseBundle(bytes: Uint8Array, name = 'bundle'): Bundle {
  const bad = (m: string): never => { throw new AxonError('BAD_MODEL_FILE', `${name}: ${m}`); };
  if (bytes.length < HEADER_BYTES) bad(`${bytes.length} bytes is too short for an Axon WASI bundle`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w = (i: number) => dv.getUint32(i * 4, true);
  if (w(0) !== BUNDLE_MAGIC) bad('not an Axon WASI bundle (bad magic)');
  if (w(1) !== BUNDLE_VERSION && w(1) !== 1) bad(`bundle version ${w(1)} is not supported (this Axon reads versions 1 and ${BUNDLE_VERSION}); recompile it with axon compile`);
  if (w(2) !== bytes.length) bad(`the header says ${w(2)} bytes but the file has ${bytes.length} (truncated?)`);
  if (w(1) !== 1 && !(w(19) & FLAG_CHECKSUM)) bad('this version-2 bundle carries no checksum (flag bit 2 of header word 19 is clear; axon compile always sets it): it is corrupt; copy it again or re-run axon compile');
  if (w(19) & FLAG_CHECKSUM && bundleChecksum(bytes) !== w(22)) bad(`checksum mismatch (the file says ${w(22).toString(16)}, its bytes give ${bundleChecksum(bytes).toString(16)}): the bundle is corrupt; copy it again or re-run axon compile`);
  const S = w(3), arenaBytes = w(4);
  if (HEADER_BYTES + S * 16 > bytes.length) bad('section table is truncated');
  const inArena = (off: number, len: number, what: string) => { if (off + len > arenaBytes) bad(`${what} [${off}, ${off + len}) lies outside the ${arenaBytes}-byte arena`); };
  const b: Bundle = {
    version: w(1), arenaBytes, batch: w(5), inFeatures: w(6), outFeatures: w(7), input: w(8), output: w(9), loss: w(10), target: w(11),
    targetKind: w(12) as 0 | 1 | 2, targetWords: w(13), classes: w(14), samples: w(15), epochs: w(16), stepsPerEpoch: w(17), seed: w(18),
    shuffle: (w(19) & FLAG_SHUFFLE) !== 0, hasTrain: (w(19) & FLAG_TRAIN) !== 0, trainBatch: w(20), image: [], params: [], plans: [], meta: {},
    io: undefined as unknown as BundleIO, trainShape: w(1) === 1 ? 0 : w(21),
  };
  if (b.batch < 1 || b.inFeatures < 1 || b.outFeatures < 1) bad('batch and feature counts must be positive');
  if (arenaBytes > MAX_ARENA_BYTES) bad(`its arena of ${arenaBytes} bytes exceeds the ${MAX_ARENA_BYTES} bytes a bundle may ask for`);
  if ((b.input | b.output | (b.hasTrain ? b.loss | b.target : 0)) % 4) bad('the input, output, loss and target offsets must be multiples of 4');
  inArena(b.input, b.batch * b.inFeatures * 4, 'input buffer');
  inArena(b.output, b.batch * b.outFeatures * 4, 'output buffer');
  if (b.hasTrain) {
    if (b.targetKind < 1 || b.targetKind > 2 || b.target === NONE || b.loss === NONE) bad('a fine-tuning bundle needs a target and a loss buffer');
    if (b.trainBatch < 1 || b.trainBatch > b.batch || b.samples < 1 || b.stepsPerEpoch !== Math.ceil(b.samples / b.trainBatch)) bad('inconsistent fine-tuning counts');
    inArena(b.target, b.trainBatch * b.targetWords * 4, 'target buffer');
    inArena(b.loss, 4, 'loss buffer');
  }
  const seen = new Set<number>();
  for (let i = 0; i < S; i++) {
    const [kind, start, len, count] = [w(24 + i * 4), w(25 + i * 4), w(26 + i * 4), w(27 + i * 4)];
    if (start % 16 || start + len > bytes.length) bad(`section ${i} (kind ${kind}) lies outside the file`);
    if (seen.has(kind)) bad(`section kind ${kind} appears twice`);
    seen.add(kind);
    const sec = new DataView(bytes.buffer, bytes.byteOffset + start, len);
    const u = (k: number) => { if (k * 4 + 4 > len) bad(`section kind ${kind} is truncated`); return sec.getUint32(k * 4, true); };
    const slice = (from: number, n: number, what: string) => { if (from + n > len) bad(`${what} lies outside its section`); return bytes.subarray(start + from, start + from + n); };
    if (kind === SEC.IMAGE) {
      let at = count * 8;
      for (let j = 0; j < count; j++) {
        const off = u(2 * j), n = u(2 * j + 1);
        inArena(off, n, `image segment ${j}`);
        b.image.push({ offset: off, data: slice(at, n, `image segment ${j}`) });
        at += pad4(n);
      }
    } else if (kind === SEC.PARAMS) {
      for (let j = 0; j < count; j++) {
        const off = u(4 * j), n = u(4 * j + 1);
        inArena(off, n, `parameter ${j}`);
        b.params.push({ offset: off, bytes: n, name: new TextDecoder().decode(slice(u(4 * j + 2), u(4 * j + 3), `parameter ${j}'s name`)) });
      }
    } else if (kind === SEC.PLANS) {
      for (let j = 0; j < count; j++) {
        const from = u(4 * j + 2), n = u(4 * j + 3);
        if (from % 16 || n % 4) bad(`plan ${j} is misaligned`);
        const raw = slice(from, n, `plan ${j}`);
        const words = new Uint32Array(raw.slice().buffer);
        checkPlanWords(words, arenaBytes, `${name}: plan ${j}`);
        b.plans.push({ mode: u(4 * j) & 0xff, shape: u(4 * j) >>> 8, batch: u(4 * j + 1), words });
      }
    } else if (kind === SEC.HP) {
      const K = u(0), W = u(1), V = u(2);
      if (4 + 2 * K + W + V + count * V > len / 4) bad('hyperparameter section is truncated');
      const blocks = Array.from({ length: K }, (_, j) => ({ offset: u(4 + 2 * j), words: u(5 + 2 * j) }));
      if (blocks.reduce((a, x) => a + x.words, 0) !== W) bad('hyperparameter blocks do not add up');
      for (const x of blocks) inArena(x.offset, x.words * 4, 'hyperparameter block');
      const words = new Uint32Array(bytes.slice(start, start + len).buffer);
      const varying = words.slice(4 + 2 * K + W, 4 + 2 * K + W + V);
      if (varying.some((v) => v >= W)) bad('hyperparameter index out of range');
      b.hp = { blocks, base: words.slice(4 + 2 * K, 4 + 2 * K + W), varying, steps: count, values: words.slice(4 + 2 * K + W + V, 4 + 2 * K + W + V + count * V) };
    } else if (kind === SEC.IO) {
      if (b.version === 1) bad('a version-1 bundle has no IO section');
      b.io = parseIO(slice(0, len, 'IO'), bad);
    } else if (kind === SEC.META) {
      try { b.meta = JSON.parse(new TextDecoder().decode(slice(0, len, 'meta'))); } catch { bad('META is not JSON'); }
    }
  }
  checkIO(b, bad, inArena);
  for (let s = 0; s < b.io.shapes.length; s++) for (let k = 1; k <= b.batch; k++) if (!b.plans.some((p) => p.mode === MODE.predict && p.batch === k && p.shape === s)) bad(`no predict plan for batch ${k}${b.io.shapes.length > 1 ? ` at shapes ${shapeSetKey(b.io.shapes[s])}` : ''}`);
  if (b.hasTrain) {
    if (!b.hp || b.hp.steps !== b.epochs * b.stepsPerEpoch) bad('the hyperparameter table does not cover the compiled epochs');
    const last = b.samples - (b.stepsPerEpoch - 1) * b.trainBatch;
    for (const k of [b.trainBatch, last]) if (!b.plans.some((p) => p.mode === MODE.train && p.batch === k && p.shape === b.trainShape)) bad(`no train plan for batch ${k}`);
  }
  return b;
}

/** The IO (a version-1 bundle's from its header) and its buffers inside the arena. */
function checkIO(b: Bundle, bad: (m: string) => never, inArena: (off: number, len: number, what: string) => void): void {
  if (!b.io) {
    if (b.version !== 1) bad('no IO section');
    b.io = legacyIO(b);
  }
  const io = b.io, K = io.shapes.length;
  if (b.trainShape >= K) bad(`the train plans' shape set ${b.trainShape} is not one of the ${K}`);
  const most = (per: (k: number) => number) => Math.max(...Array.from({ length: K }, (_, k) => per(k)));
  io.inputs.forEach((m, i) => inArena(m.offset, b.batch * most((k) => io.shapes[k][i].reduce((a, d) => a * d, 1)) * 4, `input "${m.name}" buffer`));
  io.outputs.forEach((o, j) => inArena(o.offset, b.batch * most((k) => io.outSizes[k][j]) * 4, `output "${o.name}" buffer`));
  if (b.hasTrain && !io.losses.length) bad('a fine-tuning bundle needs a loss');
  for (const l of io.losses) { inArena(l.target, b.trainBatch * l.words * 4, 'target buffer'); inArena(l.loss, 4, 'loss buffer'); }
}

/** The shape set index for these per-sample shapes, or an AxonError listing the ones the bundle has. */
export function shapeIndex(b: Bundle, shapes: number[][]): number {
  const k = b.io.shapes.findIndex((set) => shapeSetKey(set) === shapeSetKey(shapes));
  if (k < 0) throw new AxonError('BAD_SHAPE', `this bundle has no plans for input shapes ${shapeSetKey(shapes)}; it was compiled for ${describeShapes(b.io)} (recompile with those shapes added)`);
  return k;
}

/** out-weights.bin (or any concatenation of the PARAMS in order) → named weights for Model.setWeights. */
export function weightsFromBin(b: Bundle, bin: Uint8Array): Map<string, Float32Array> {
  const total = b.params.reduce((a, p) => a + p.bytes, 0);
  if (bin.length !== total) throw new AxonError('BAD_DATA', `weights file has ${bin.length} bytes; this bundle's parameters take ${total}`);
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const p of b.params) { out.set(p.name, new Float32Array(bin.slice(at, at + p.bytes).buffer)); at += p.bytes; }
  return out;
}
