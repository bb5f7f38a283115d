// Reads and checks a WASI bundle in memory. The format is documented (and written) in
// src/wasi/bundle.ts; this reader accepts exactly what src/wasi/bundle.ts parseBundle accepts.
import { EX_DATAERR, fail } from './io';
import { IO, parseIO, legacyIO } from './bundle_io';
import { TrainSection, parseTrainSection } from './train_section';

export const BUNDLE_MAGIC: u32 = 0x4e425841;
export const BUNDLE_VERSION: u32 = 2;   // (version 1 is read too: one f32 input, one output, one shape set)
const HEADER: usize = 96;
const NONE: u32 = 0xffffffff;
/** The largest model arena a bundle may ask for (as src/wasi/bundle.ts MAX_ARENA_BYTES). */
const MAX_ARENA_BYTES: u32 = 512 << 20;
export const MODE_PREDICT: u32 = 0;
export const MODE_EVAL: u32 = 1;
export const MODE_TRAIN: u32 = 2;

export class Bundle {
  ptr: usize = 0; len: usize = 0;
  arenaBytes: u32 = 0; batch: u32 = 0; inF: u32 = 0; outF: u32 = 0;
  input: u32 = 0; output: u32 = 0; loss: u32 = 0; target: u32 = 0;
  targetKind: u32 = 0; targetWords: u32 = 0; classes: u32 = 0;
  samples: u32 = 0; epochs: u32 = 0; steps: u32 = 0; seed: u32 = 0; shuffle: bool = false; hasTrain: bool = false; trainBatch: u32 = 0;
  image: usize = 0; imageCount: u32 = 0;     // section start (absolute pointer) and segment count
  params: usize = 0; paramCount: u32 = 0;
  plans: usize = 0; planCount: u32 = 0;
  hp: usize = 0; hpSteps: u32 = 0; hpK: u32 = 0; hpW: u32 = 0; hpV: u32 = 0;
  version: u32 = 0; trainShape: u32 = 0;
  io: IO = new IO();
  /** on-device training (section 7), or null */
  train: TrainSection | null = null;

  /** Plan pointer for (mode, batch, shape set), or 0. */
  plan(mode: u32, batch: u32, shape: u32 = 0): usize {
    for (let j: u32 = 0; j < this.planCount; j++) {
      const e = this.plans + (<usize>j << 4);
      if (load<u32>(e) == (mode | (shape << 8)) && load<u32>(e, 4) == batch) return this.plans + <usize>load<u32>(e, 8);
    }
    return 0;
  }
  planBytes(mode: u32, batch: u32, shape: u32 = 0): usize {
    for (let j: u32 = 0; j < this.planCount; j++) {
      const e = this.plans + (<usize>j << 4);
      if (load<u32>(e) == (mode | (shape << 8)) && load<u32>(e, 4) == batch) return <usize>load<u32>(e, 12);
    }
    return 0;
  }
  /** Total bytes of the parameters (out-weights.bin). */
  paramBytes(): usize {
    let s: usize = 0;
    for (let j: u32 = 0; j < this.paramCount; j++) s += <usize>load<u32>(this.params + (<usize>j << 4), 4);
    return s;
  }
}

// @ts-ignore: decorator
@inline function W(ptr: usize, i: i32): u32 { return load<u32>(ptr + (<usize>i << 2)); }

function bad(name: string, msg: string): void { fail(EX_DATAERR, `bundle ${name}: ${msg}`); }

function inArena(b: Bundle, name: string, off: u32, len: u64, what: string): void {
  if (<u64>off + len > <u64>b.arenaBytes) bad(name, `${what} lies outside the ${b.arenaBytes}-byte arena`);
}

/** FNV-1a (32-bit) of the bundle with header word 22 (the checksum itself) read as zero; as src/wasi/bundle.ts. */
function checksum(ptr: usize, len: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < len; i++) {
    h ^= i >= 88 && i < 92 ? 0 : <u32>load<u8>(ptr + i);
    h *= 0x01000193;
  }
  return h;
}

export function parseBundle(ptr: usize, len: usize, name: string): Bundle {
  const b = new Bundle();
  b.ptr = ptr; b.len = len;
  if (len < HEADER) bad(name, `${len} bytes is too short for an Axon WASI bundle`);
  if (W(ptr, 0) != BUNDLE_MAGIC) bad(name, 'not an Axon WASI bundle (bad magic)');
  if (W(ptr, 1) != BUNDLE_VERSION && W(ptr, 1) != 1) bad(name, `bundle version ${W(ptr, 1)} is not supported (this program reads versions 1 and ${BUNDLE_VERSION}); recompile it with axon compile`);
  b.version = W(ptr, 1); b.trainShape = b.version == 1 ? 0 : W(ptr, 21);
  if (<usize>W(ptr, 2) != len) bad(name, `the header says ${W(ptr, 2)} bytes but the file has ${len} (truncated?)`);
  if (b.version != 1 && (W(ptr, 19) & 4) == 0) bad(name, 'this version-2 bundle carries no checksum (flag bit 2 of header word 19 is clear; axon compile always sets it): it is corrupt; copy it again or re-run axon compile');
  if ((W(ptr, 19) & 4) != 0 && checksum(ptr, len) != W(ptr, 22)) bad(name, 'checksum mismatch: the bundle is corrupt; copy it again or re-run axon compile');
  const S = W(ptr, 3);
  if (HEADER + (<u64>S << 4) > <u64>len) bad(name, 'section table is truncated');
  b.arenaBytes = W(ptr, 4); b.batch = W(ptr, 5); b.inF = W(ptr, 6); b.outF = W(ptr, 7);
  b.input = W(ptr, 8); b.output = W(ptr, 9); b.loss = W(ptr, 10); b.target = W(ptr, 11);
  b.targetKind = W(ptr, 12); b.targetWords = W(ptr, 13); b.classes = W(ptr, 14);
  b.samples = W(ptr, 15); b.epochs = W(ptr, 16); b.steps = W(ptr, 17); b.seed = W(ptr, 18);
  b.shuffle = (W(ptr, 19) & 1) != 0; b.hasTrain = (W(ptr, 19) & 2) != 0; b.trainBatch = W(ptr, 20);
  if (b.batch < 1 || b.inF < 1 || b.outF < 1) bad(name, 'batch and feature counts must be positive');
  if (b.arenaBytes > MAX_ARENA_BYTES) bad(name, `its arena of ${b.arenaBytes} bytes exceeds the ${MAX_ARENA_BYTES} bytes this program allocates for one`);
  if (((b.input | b.output | (b.hasTrain ? b.loss | b.target : 0)) & 3) != 0) bad(name, 'the input, output, loss and target offsets must be multiples of 4');
  inArena(b, name, b.input, <u64>b.batch * b.inF * 4, 'input buffer');
  inArena(b, name, b.output, <u64>b.batch * b.outF * 4, 'output buffer');
  if (b.hasTrain) {
    if (b.targetKind < 1 || b.targetKind > 2 || b.target == NONE || b.loss == NONE) bad(name, 'a fine-tuning bundle needs a target and a loss buffer');
    if (b.trainBatch < 1 || b.trainBatch > b.batch || b.samples < 1 || b.steps != (b.samples + b.trainBatch - 1) / b.trainBatch) bad(name, 'inconsistent fine-tuning counts');
    inArena(b, name, b.target, <u64>b.trainBatch * b.targetWords * 4, 'target buffer');
    inArena(b, name, b.loss, 4, 'loss buffer');
  }
  let seen: u32 = 0, ioSec: usize = 0, ioLen: usize = 0, trainSec: usize = 0, trainLen: usize = 0;
  for (let i: u32 = 0; i < S; i++) {
    const e = ptr + HEADER + (<usize>i << 4);
    const kind = load<u32>(e), start = load<u32>(e, 4), slen = load<u32>(e, 8), count = load<u32>(e, 12);
    if ((start & 15) != 0 || <u64>start + slen > <u64>len) bad(name, `section ${i} (kind ${kind}) lies outside the file`);
    if (kind < 32) { if (seen & (1 << kind)) bad(name, `section kind ${kind} appears twice`); seen |= 1 << kind; }
    const s = ptr + start;
    if (kind == 1) {            // IMAGE
      if (<u64>count * 8 > <u64>slen) bad(name, 'image table is truncated');
      let at: u64 = <u64>count * 8;
      for (let j: u32 = 0; j < count; j++) {
        const off = load<u32>(s + (<usize>j << 3)), n = load<u32>(s + (<usize>j << 3), 4);
        inArena(b, name, off, n, `image segment ${j}`);
        if (at + n > <u64>slen) bad(name, `image segment ${j} lies outside its section`);
        at += (<u64>n + 3) & ~3;
      }
      b.image = s; b.imageCount = count;
    } else if (kind == 2) {     // PARAMS
      if (<u64>count * 16 > <u64>slen) bad(name, 'parameter table is truncated');
      for (let j: u32 = 0; j < count; j++) {
        const q = s + (<usize>j << 4);
        inArena(b, name, load<u32>(q), load<u32>(q, 4), `parameter ${j}`);
      }
      b.params = s; b.paramCount = count;
    } else if (kind == 3) {     // PLANS
      if (<u64>count * 16 > <u64>slen) bad(name, 'plan table is truncated');
      for (let j: u32 = 0; j < count; j++) {
        const q = s + (<usize>j << 4), from = load<u32>(q, 8), n = load<u32>(q, 12);
        if ((from & 15) != 0 || (n & 3) != 0 || <u64>from + n > <u64>slen) bad(name, `plan ${j} is misaligned or outside its section`);
      }
      b.plans = s; b.planCount = count;
    } else if (kind == 4) {     // HP
      if (slen < 16) bad(name, 'hyperparameter section is truncated');
      const K = load<u32>(s), W = load<u32>(s, 4), V = load<u32>(s, 8);
      if (4 + 2 * <u64>K + W + V + <u64>count * V > <u64>(slen >> 2)) bad(name, 'hyperparameter section is truncated');
      let sum: u64 = 0;
      for (let j: u32 = 0; j < K; j++) {
        const off = load<u32>(s + 16 + (<usize>j << 3)), words = load<u32>(s + 16 + (<usize>j << 3), 4);
        inArena(b, name, off, <u64>words * 4, 'hyperparameter block');
        sum += words;
      }
      if (sum != <u64>W) bad(name, 'hyperparameter blocks do not add up');
      const idx = s + 16 + (<usize>K << 3) + (<usize>W << 2);
      for (let j: u32 = 0; j < V; j++) if (load<u32>(idx + (<usize>j << 2)) >= W) bad(name, 'hyperparameter index out of range');
      b.hp = s; b.hpSteps = count; b.hpK = K; b.hpW = W; b.hpV = V;
    } else if (kind == 7) {     // TRAIN
      trainSec = s; trainLen = <usize>slen;
    } else if (kind == 6) {     // IO
      if (b.version == 1) bad(name, 'a version-1 bundle has no IO section');
      ioSec = s; ioLen = <usize>slen;
    }
  }
  if (b.plans == 0) bad(name, 'no PLANS section');
  checkIO(b, name, ioSec, ioLen);
  for (let k: u32 = 0; k < b.io.K; k++) for (let n: u32 = 1; n <= b.batch; n++) if (b.plan(MODE_PREDICT, n, k) == 0) bad(name, `no predict plan for batch ${n}${b.io.K > 1 ? ' at shapes ' + b.io.key(k) : ''}`);
  if (trainSec != 0) {
    if (!b.hasTrain) bad(name, 'a TRAIN section in a bundle without training');
    b.train = parseTrainSection(trainSec, trainLen, b.arenaBytes, b.io.L, name);
    for (let n: u32 = 1; n <= b.trainBatch; n++) if (b.plan(MODE_TRAIN, n, b.trainShape) == 0 || b.plan(MODE_EVAL, n, b.trainShape) == 0) bad(name, `an on-device training bundle needs train and eval plans for every batch 1..${b.trainBatch}; batch ${n} is missing`);
    const F = b.train!.F;
    if (F > 0 && (b.io.inI32(0) || b.io.inSize(b.trainShape, 0) % <u64>F != 0)) bad(name, `its normalizer (${F} values) does not fit input "${b.io.inName(0)}"`);
  }
  if (b.hasTrain) {
    if (b.hp == 0 || <u64>b.hpSteps != <u64>b.epochs * b.steps) bad(name, 'the hyperparameter table does not cover the compiled epochs');
    const last = b.samples - (b.steps - 1) * b.trainBatch;
    if (b.plan(MODE_TRAIN, b.trainBatch, b.trainShape) == 0 || b.plan(MODE_TRAIN, last, b.trainShape) == 0) bad(name, 'a train plan is missing');
  }
  return b;
}

/** The IO section (a version-1 bundle's from its header) and its buffers inside the arena. */
function checkIO(b: Bundle, name: string, sec: usize, len: usize): void {
  if (sec == 0) {
    if (b.version != 1) bad(name, 'no IO section');
    b.io = legacyIO(b.inF, b.outF, b.input, b.output, b.hasTrain, b.target, b.loss, b.targetKind, b.targetWords, b.classes);
  } else b.io = parseIO(sec, len, name);
  const io = b.io;
  if (b.trainShape >= io.K) bad(name, `the train plans' shape set ${b.trainShape} is not one of the ${io.K}`);
  for (let i: u32 = 0; i < io.I; i++) {
    let most: u64 = 0;
    for (let k: u32 = 0; k < io.K; k++) most = max<u64>(most, io.inSize(k, i));
    inArena(b, name, io.inOffset(i), <u64>b.batch * most * 4, `input "${io.inName(i)}" buffer`);
  }
  for (let o: u32 = 0; o < io.O; o++) {
    let most: u64 = 0;
    for (let k: u32 = 0; k < io.K; k++) most = max<u64>(most, <u64>io.outSize(k, o));
    inArena(b, name, io.outOffset(o), <u64>b.batch * most * 4, `output "${io.outName(o)}" buffer`);
  }
  if (b.hasTrain && io.L == 0) bad(name, 'a fine-tuning bundle needs a loss');
  for (let l: u32 = 0; l < io.L; l++) {
    inArena(b, name, io.lossTarget(l), <u64>b.trainBatch * io.lossWords(l) * 4, 'target buffer');
    inArena(b, name, io.lossBuf(l), 4, 'loss buffer');
  }
}
