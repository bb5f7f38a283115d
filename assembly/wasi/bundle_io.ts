// The IO section of a WASI bundle (layout in src/wasi/bundle_io.ts): inputs (names, dtypes,
// declared shapes, id ranges, arena offsets), outputs, the shape sets the plans were compiled for,
// and the losses. A version-1 bundle has none: legacy() writes the equivalent section (one f32
// input "input", one output "output", one shape set) from its header, so one code path serves both.
import { arena_alloc } from '../arena';
import { EX_DATAERR, EX_SOFTWARE, fail } from './io';

const MAX_RANK: u32 = 8;
const IN_WORDS: u32 = 24, OUT_WORDS: u32 = 4, LOSS_WORDS: u32 = 8;

// @ts-ignore: decorator
@inline function W(p: usize, i: u32): u32 { return load<u32>(p + (<usize>i << 2)); }

export class IO {
  p: usize = 0; len: usize = 0;
  I: u32 = 0; O: u32 = 0; K: u32 = 0; L: u32 = 0;

  private inRec(i: u32): u32 { return 4 + i * IN_WORDS; }
  private outRec(o: u32): u32 { return 4 + this.I * IN_WORDS + o * OUT_WORDS; }
  private shapeAt(k: u32, i: u32): u32 { return 4 + this.I * IN_WORDS + this.O * OUT_WORDS + (k * this.I + i) * MAX_RANK; }
  private outSizeAt(k: u32, o: u32): u32 { return 4 + this.I * IN_WORDS + this.O * OUT_WORDS + this.K * this.I * MAX_RANK + k * this.O + o; }
  private lossRec(l: u32): u32 { return 4 + this.I * IN_WORDS + this.O * OUT_WORDS + this.K * this.I * MAX_RANK + this.K * this.O + l * LOSS_WORDS; }
  words(): u32 { return this.lossRec(this.L); }

  inOffset(i: u32): u32 { return W(this.p, this.inRec(i)); }
  inI32(i: u32): bool { return W(this.p, this.inRec(i) + 1) == 1; }
  inRank(i: u32): u32 { return W(this.p, this.inRec(i) + 2); }
  inHasRange(i: u32): bool { return W(this.p, this.inRec(i) + 3) != 0; }
  inLo(i: u32): i32 { return <i32>W(this.p, this.inRec(i) + 4); }
  inHi(i: u32): i32 { return <i32>W(this.p, this.inRec(i) + 5); }
  inName(i: u32): string { return this.text(this.inRec(i) + 6); }
  inDim(i: u32, d: u32): u32 { return W(this.p, this.inRec(i) + 8 + d); }
  inMax(i: u32, d: u32): u32 { return W(this.p, this.inRec(i) + 16 + d); }
  dtype(i: u32): string { return this.inI32(i) ? 'i32' : 'f32'; }
  outOffset(o: u32): u32 { return W(this.p, this.outRec(o)); }
  outName(o: u32): string { return this.text(this.outRec(o) + 1); }
  shapeDim(k: u32, i: u32, d: u32): u32 { return W(this.p, this.shapeAt(k, i) + d); }
  outSize(k: u32, o: u32): u32 { return W(this.p, this.outSizeAt(k, o)); }
  lossOutput(l: u32): u32 { return W(this.p, this.lossRec(l)); }
  lossTarget(l: u32): u32 { return W(this.p, this.lossRec(l) + 1); }
  lossBuf(l: u32): u32 { return W(this.p, this.lossRec(l) + 2); }
  lossKind(l: u32): u32 { return W(this.p, this.lossRec(l) + 3); }
  lossWords(l: u32): u32 { return W(this.p, this.lossRec(l) + 4); }
  lossClasses(l: u32): u32 { return W(this.p, this.lossRec(l) + 5); }

  /** Values per sample of input i at shape set k. */
  inSize(k: u32, i: u32): u64 {
    let s: u64 = 1;
    for (let d: u32 = 0; d < this.inRank(i); d++) s *= <u64>this.shapeDim(k, i, d);
    return s;
  }
  /** "5x4,6": shape set k as --shape takes it. */
  key(k: u32): string {
    let s = '';
    for (let i: u32 = 0; i < this.I; i++) {
      if (i > 0) s += ',';
      for (let d: u32 = 0; d < this.inRank(i); d++) s += (d > 0 ? 'x' : '') + this.shapeDim(k, i, d).toString();
    }
    return s;
  }
  /** Every shape set, with the input names: "5x4,6 (seq [5,4], h0 [6]); ...". */
  describeShapes(): string {
    let s = '';
    for (let k: u32 = 0; k < this.K; k++) {
      s += (k > 0 ? '; ' : '') + this.key(k) + ' (';
      for (let i: u32 = 0; i < this.I; i++) s += (i > 0 ? ', ' : '') + this.inName(i) + ' [' + this.key1(k, i) + ']';
      s += ')';
    }
    return s;
  }
  /** The inputs as declared: "seq f32 [null,4], h0 f32 [6]". */
  describeInputs(): string {
    let s = '';
    for (let i: u32 = 0; i < this.I; i++) {
      s += (i > 0 ? ', ' : '') + this.inName(i) + ' ' + this.dtype(i) + ' [';
      for (let d: u32 = 0; d < this.inRank(i); d++) s += (d > 0 ? ',' : '') + (this.inDim(i, d) == 0 ? 'null' : this.inDim(i, d).toString());
      s += ']';
    }
    return s;
  }
  describeOutputs(): string {
    let s = '';
    for (let o: u32 = 0; o < this.O; o++) s += (o > 0 ? ', ' : '') + this.outName(o);
    return s;
  }
  private key1(k: u32, i: u32): string {
    let s = '';
    for (let d: u32 = 0; d < this.inRank(i); d++) s += (d > 0 ? ',' : '') + this.shapeDim(k, i, d).toString();
    return s;
  }
  private text(w: u32): string { return String.UTF8.decodeUnsafe(this.p + <usize>W(this.p, w), <usize>W(this.p, w + 1)); }
}

// @ts-ignore: decorator
@inline function put(p: usize, w: u32, v: u32): void { store<u32>(p + (<usize>w << 2), v); }

function bad(name: string, msg: string): void { fail(EX_DATAERR, `bundle ${name}: ${msg}`); }

/** Checks an IO section's counts, records, names and shape sets (against the declarations). */
export function parseIO(p: usize, len: usize, name: string): IO {
  const io = new IO();
  io.p = p; io.len = len;
  if (len < 16) bad(name, 'the IO section is truncated');
  io.I = W(p, 0); io.O = W(p, 1); io.K = W(p, 2); io.L = W(p, 3);
  if (io.I < 1 || io.O < 1 || io.K < 1 || io.I > 64 || io.O > 64 || io.K > 4096 || io.L > io.O) bad(name, `the IO section declares ${io.I} inputs, ${io.O} outputs, ${io.K} shape sets and ${io.L} losses`);
  if (<u64>io.words() * 4 > <u64>len) bad(name, 'the IO section is truncated');
  for (let i: u32 = 0; i < io.I; i++) {
    const R = io.inRank(i), rec = 4 + i * IN_WORDS;
    if (R < 1 || R > MAX_RANK || W(p, rec + 1) > 1) bad(name, `input ${i} has rank ${R} and dtype code ${W(p, rec + 1)}`);
    if (<u64>W(p, rec + 6) + <u64>W(p, rec + 7) > <u64>len) bad(name, `input ${i}'s name lies outside the IO section`);
  }
  for (let o: u32 = 0; o < io.O; o++) {
    const rec = 4 + io.I * IN_WORDS + o * OUT_WORDS;
    if (<u64>W(p, rec + 1) + <u64>W(p, rec + 2) > <u64>len) bad(name, `output ${o}'s name lies outside the IO section`);
  }
  for (let k: u32 = 0; k < io.K; k++) for (let i: u32 = 0; i < io.I; i++) for (let d: u32 = 0; d < io.inRank(i); d++) {
    const v = io.shapeDim(k, i, d), decl = io.inDim(i, d), mx = io.inMax(i, d);
    if (v < 1 || (decl != 0 && v != decl) || (mx != 0 && v > mx)) bad(name, `shape set ${k}: input "${io.inName(i)}" dimension ${d + 1} is ${v}, outside its declaration`);
  }
  for (let l: u32 = 0; l < io.L; l++) {
    const kind = io.lossKind(l);
    if (io.lossOutput(l) >= io.O || (kind != 1 && kind != 2)) bad(name, `loss ${l} reads output ${io.lossOutput(l)} with target kind ${kind}`);
  }
  // (the program views these buffers as f32 / i32 arrays)
  let offsets: u32 = 0;
  for (let i: u32 = 0; i < io.I; i++) offsets |= io.inOffset(i);
  for (let o: u32 = 0; o < io.O; o++) offsets |= io.outOffset(o);
  for (let l: u32 = 0; l < io.L; l++) offsets |= io.lossTarget(l) | io.lossBuf(l);
  if ((offsets & 3) != 0) bad(name, "the IO section's input, output, target and loss offsets must be multiples of 4");
  return io;
}

/** The IO section a version-1 bundle implies: written into a fresh arena block. */
export function legacyIO(inF: u32, outF: u32, input: u32, output: u32, hasTrain: bool, target: u32, loss: u32, kind: u32, words: u32, classes: u32): IO {
  const L: u32 = hasTrain ? 1 : 0;
  const nWords: u32 = 4 + IN_WORDS + OUT_WORDS + MAX_RANK + 1 + L * LOSS_WORDS;
  const bytes = <usize>nWords * 4 + 11;   // + "input" + "output"
  const p = arena_alloc(bytes);
  if (p == 0) fail(EX_SOFTWARE, 'out of memory');
  memory.fill(p, 0, bytes);
  put(p, 0, 1); put(p, 1, 1); put(p, 2, 1); put(p, 3, L);
  const nameAt = nWords * 4;
  put(p, 4, input); put(p, 6, 1); put(p, 10, nameAt); put(p, 11, 5); put(p, 12, inF); put(p, 20, inF);
  put(p, 28, output); put(p, 29, nameAt + 5); put(p, 30, 6);
  put(p, 32, inF); put(p, 40, outF);
  if (hasTrain) { put(p, 41, 0); put(p, 42, target); put(p, 43, loss); put(p, 44, kind); put(p, 45, words); put(p, 46, classes); }
  const s = 'inputoutput';
  for (let j = 0; j < 11; j++) store<u8>(p + <usize>nameAt + <usize>j, <u8>s.charCodeAt(j));
  return parseIO(p, bytes, 'legacy');
}
