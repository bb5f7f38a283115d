// On-device training (a bundle compiled with `axon compile --device`, TRAIN section): the device
// brings any number of rows and chooses the run itself, exactly as Model.fit with the same options:
//
//   axon.wasi.wasm finetune bundle.axb x.bin... y.bin... out-weights.bin --epochs E [--lr 0.01]
//        [--schedule constant | step,SIZE,GAMMA[,epoch|step] | exponential,GAMMA[,DECAY][,epoch|step]]
//        [--val 0.2] [--patience P] [--min-delta D] [--checkpoint ck.bin [--resume]] [--weights w.bin]
//
// Rows: the last floor(n * val) are the validation split (before shuffling, as fit); the rest are
// shuffled every epoch (xoshiro128** + Fisher-Yates as src/runtime/rng.ts) into batches of N, the
// last one partial (the bundle has train and eval plans for every batch 1..N). Each step's learning
// rate (schedule) and Adam's bias corrections are computed here (train_section.ts), not replayed.
// The bundle's normalizer, if any, is applied to input 0 on the device (augmentation layers run
// inside the train plans). With --patience: early stopping on val_loss (as EarlyStopping with
// restoreBestWeights: the best epoch's weights are the ones written). With --checkpoint the training
// state (weights, optimizer state, generators, sample order, early-stopping state) is written after
// every epoch to a temp file renamed over the checkpoint, so a power cut loses at most the epoch in
// progress; --resume continues from it. One progress line per epoch on stdout.
import { plan_run } from '../plan';
import { rng_seed, rng_next } from '../kernels/data';
import { Blob, readFile, readFileIfExists, writeFileAtomic, fail, out, EX_USAGE, EX_DATAERR, EX_SOFTWARE } from './io';
import { Bundle, MODE_TRAIN, MODE_EVAL } from './bundle';
import { Args, checkValues, inputWhat } from './feed';
import { TrainSection } from './train_section';

const CK_MAGIC: u32 = 0x4b435841;   // 'AXCK'
const CK_HEAD: usize = 80;

class Run {
  epochs: u32 = 0; lr: f64 = 0; val: f64 = 0; patience: i32 = -1; minDelta: f64 = 0;
  checkpoint: string | null = null; resume: bool = false;
}

function number(a: Args, name: string, lo: f64, hi: f64, dflt: f64): f64 {
  const got = a.get(name);
  if (got == null) return dflt;
  const s = got!;
  const v = parseFloat(s);
  if (!(v >= lo && v <= hi)) fail(EX_USAGE, `--${name} ${s}: expected a number in [${lo}, ${hi}]`);
  return v;
}
function integer(a: Args, name: string, lo: i32, hi: i32, dflt: i32): i32 {
  const got = a.get(name);
  if (got == null) return dflt;
  const s = got!;
  const v = parseFloat(s);
  if (!(v >= <f64>lo && v <= <f64>hi && Math.floor(v) == v) || s.includes('.') || s.includes('e')) fail(EX_USAGE, `--${name} ${s}: expected an integer in [${lo}, ${hi}]`);
  return <i32>v;
}

function schedPer(p: string[], i: i32, s: string): u32 {
  if (p.length <= i || p[i] == 'epoch') return 0;
  if (p[i] == 'step') return 1;
  fail(EX_USAGE, `--schedule ${s}: "${p[i]}" must be epoch or step`);
  return 0;
}
function schedNum(p: string[], i: i32, s: string, what: string): f64 {
  const v = p.length > i ? parseFloat(p[i]) : NaN;
  if (!(v > 0 && v - v == 0)) fail(EX_USAGE, `--schedule ${s}: ${what} must be a positive number`);
  return v;
}

/** --schedule into the section's fields (the bundle's own schedule when absent). */
function schedule(a: Args, t: TrainSection): void {
  const got = a.get('schedule');
  if (got == null) return;
  const s = got!, p = s.split(','), kind = p[0];
  if (kind == 'constant' && p.length == 1) { t.sched = 0; return; }
  if (kind == 'step' && p.length >= 3 && p.length <= 4) {
    const size = schedNum(p, 1, s, 'the step size');
    if (Math.floor(size) != size) fail(EX_USAGE, `--schedule ${s}: the step size must be an integer`);
    t.sched = 1; t.stepSize = <u32>size; t.gamma = schedNum(p, 2, s, 'gamma'); t.per = schedPer(p, 3, s); return;
  }
  if (kind == 'exponential' && p.length >= 2 && p.length <= 4) {
    t.sched = 2; t.gamma = schedNum(p, 1, s, 'gamma');
    if (t.gamma > 1) fail(EX_USAGE, `--schedule ${s}: gamma must be in (0, 1]`);
    const hasDecay = p.length >= 3 && p[2] != 'epoch' && p[2] != 'step';
    t.decay = hasDecay ? schedNum(p, 2, s, 'decay steps') : 1; t.per = schedPer(p, hasDecay ? 3 : 2, s); return;
  }
  fail(EX_USAGE, `--schedule ${s}: use constant, step,SIZE,GAMMA[,epoch|step] or exponential,GAMMA[,DECAY][,epoch|step]`);
}

function parseRun(a: Args, t: TrainSection): Run {
  const r = new Run();
  if (a.get('epochs') == null) fail(EX_USAGE, 'finetune of an on-device training bundle needs --epochs E');
  r.epochs = <u32>integer(a, 'epochs', 1, 1000000, 1);
  r.lr = number(a, 'lr', 0, 1e6, t.lr0);
  r.val = number(a, 'val', 0, 0.99, 0);
  r.patience = integer(a, 'patience', 0, 1000000, -1);
  r.minDelta = number(a, 'min-delta', 0, 1e30, 0);
  if (r.patience >= 0 && r.val == 0) fail(EX_USAGE, '--patience stops on val_loss: give a validation split too (--val 0.2)');
  r.checkpoint = a.get('checkpoint');
  r.resume = a.get('resume') != null;
  if (r.resume && r.checkpoint == null) fail(EX_USAGE, '--resume continues from --checkpoint FILE: give it');
  if (a.get('batch') != null) fail(EX_USAGE, '--batch: the batch size is the bundle\'s (axon compile --batch)');
  schedule(a, t);
  return r;
}

/** The device's training run: `base` is the placed arena, `alloc` the program's allocator. */
export function deviceFinetune(a: Args, b: Bundle, base: usize, alloc: (bytes: usize, what: string) => usize): void {
  const io = b.io, t = b.train!, tk = b.trainShape, B = <usize>b.trainBatch;
  const run = parseRun(a, t);
  // data: one file per input, one per loss; any number of whole rows, the same in each
  const xs = new Array<Blob>(), ys = new Array<Blob>();
  let n: usize = 0;
  for (let i: u32 = 0; i < io.I + io.L; i++) {
    const isX = i < io.I, path = a.pos[1 + i], what = isX ? inputWhat(b, i, 'x') : (io.L == 1 ? 'y' : `y "${io.outName(io.lossOutput(i - io.I))}"`);
    const f = readFile(path, what), per = isX ? <usize>io.inSize(tk, i) : <usize>io.lossWords(i - io.I);
    if (f.len == 0 || f.len % (per << 2) != 0) fail(EX_DATAERR, `${what} ${path}: ${f.len} bytes is not a whole, non-zero number of rows of ${per} values (${per << 2} bytes)`);
    const rows = f.len / (per << 2);
    if (i > 0 && rows != n) fail(EX_DATAERR, `${what} ${path}: ${rows} rows, but ${a.pos[1]} has ${n}`);
    n = rows;
    if (isX) { checkValues(b, i, f, per, `${what} ${path}`); xs.push(f); } else { checkTargets(b, i - io.I, f, per, `${what} ${path}`); ys.push(f); }
  }
  if (t.F > 0) normalize(xs[0], t);
  const nv = <usize>Math.floor(<f64>n * run.val), nt = n - nv;
  if (nt == 0) fail(EX_DATAERR, `no training rows: ${n} rows with --val ${run.val} leaves none`);
  // state: sample order, shuffle generator, hyperparameter word addresses, best weights
  const order = alloc(nt << 2, 'the sample order'), rng = alloc(16, 'the shuffle state');
  for (let i: usize = 0; i < nt; i++) store<i32>(order + (i << 2), <i32>i);
  rng_seed(rng, b.seed);
  const K = <usize>b.hpK, blocks = b.hp + 16, baseWords = blocks + (K << 3);
  let w: usize = 0;
  for (let j: usize = 0; j < K; j++) {
    const off = <usize>load<u32>(blocks + (j << 3)), words = <usize>load<u32>(blocks + (j << 3), 4);
    memory.copy(base + off, baseWords + (w << 2), words << 2);
    w += words;
  }
  const P = b.paramBytes(), best = alloc(P, 'the best weights');
  let epoch0: u32 = 0, steps: u32 = t.firstStep - 1, bestLoss: f64 = NaN, wait: i32 = 0, bestEpoch: i32 = -1;
  const ckBytes = CK_HEAD + (nt << 2) + t.stateBytes() + P, ck = run.checkpoint != null ? alloc(ckBytes, 'the checkpoint') : 0;
  if (run.resume) {
    const f = readFileIfExists(run.checkpoint!, 'checkpoint');
    if (f != null) {
      checkCheckpoint(f, b, nt, nv, ckBytes, run.checkpoint!);
      epoch0 = load<u32>(f.ptr, 12); steps = load<u32>(f.ptr, 16); wait = load<i32>(f.ptr, 28); bestEpoch = load<i32>(f.ptr, 32); bestLoss = load<f64>(f.ptr, 40);
      memory.copy(rng, f.ptr + 48, 16);
      let at = f.ptr + CK_HEAD;
      memory.copy(order, at, nt << 2); at += nt << 2;
      for (let r: u32 = 0; r < t.R; r++) { memory.copy(base + <usize>t.regionOffset(r), at, <usize>t.regionBytes(r)); at += <usize>t.regionBytes(r); }
      memory.copy(best, at, P);
      if (load<u32>(f.ptr, 64) != 0) { out(`${run.checkpoint!}: this run stopped early after epoch ${epoch0}; writing its best weights`); epoch0 = max<u32>(epoch0, run.epochs); }
      else out(`resumed from ${run.checkpoint!} after epoch ${epoch0}`);
    }
  }
  for (let epoch = epoch0; epoch < run.epochs; epoch++) {
    if (b.shuffle) shuffle(order, nt, rng);
    const trainLoss = pass(b, base, xs, ys, order, 0, nt, B, MODE_TRAIN, run.lr, epoch, steps);
    steps += <u32>((nt + B - 1) / B);
    let line = `epoch ${epoch + 1}/${run.epochs} loss ${trainLoss.toString()}`;
    let stop = false;
    if (nv > 0) {
      const v = pass(b, base, xs, ys, 0, nt, nv, B, MODE_EVAL, 0, epoch, 0);
      line += ` val_loss ${v.toString()}`;
      if (run.patience >= 0) {
        if (isNaN(bestLoss) || bestLoss - v > run.minDelta) { bestLoss = v; bestEpoch = <i32>epoch; wait = 0; copyParams(b, base, best, true); }
        else if (++wait >= run.patience) stop = true;
      }
    }
    out(line + ` lr ${t.lr(run.lr, steps, epoch).toString()}`);
    if (ck != 0) writeCheckpoint(ck, ckBytes, b, epoch + 1, steps, nt, nv, wait, bestEpoch, bestLoss, stop, rng, order, base, best, run.checkpoint!);
    if (stop) { out(`early stop after epoch ${epoch + 1}: val_loss has not improved for ${run.patience} epochs; best ${bestLoss.toString()} at epoch ${bestEpoch + 1}`); break; }
  }
  if (bestEpoch >= 0) copyParams(b, base, best, false);
  const weights = alloc(P, 'the weights');
  copyParams(b, base, weights, true);
  writeFileAtomic(a.pos[a.pos.length - 1], 'weights', weights, P);
}

/** One pass over rows [from, from + count) (through `order` when it is non-zero): train steps or evaluation; the mean loss as the trainer's metrics compute it. */
function pass(b: Bundle, base: usize, xs: Blob[], ys: Blob[], order: usize, from: usize, count: usize, B: usize, mode: u32, lr: f64, epoch: u32, steps: u32): f64 {
  const io = b.io, t = b.train!, tk = b.trainShape;
  const sums = new StaticArray<f64>(<i32>io.L);
  for (let s: usize = 0; s < count; s += B) {
    const cnt = min<usize>(B, count - s);
    for (let r: usize = 0; r < cnt; r++) {
      const i = order != 0 ? <usize>load<i32>(order + ((s + r) << 2)) : from + s + r;
      for (let q: u32 = 0; q < io.I; q++) { const row = <usize>io.inSize(tk, q) << 2; memory.copy(base + <usize>io.inOffset(q) + r * row, xs[q].ptr + i * row, row); }
      for (let l: u32 = 0; l < io.L; l++) { const row = <usize>io.lossWords(l) << 2; memory.copy(base + <usize>io.lossTarget(l) + r * row, ys[l].ptr + i * row, row); }
    }
    if (mode == MODE_TRAIN) writeStep(b, base, ++steps, t.lr(lr, steps, epoch));
    const rc = plan_run(b.plan(mode, <u32>cnt, tk), base);
    if (rc != 0) fail(EX_SOFTWARE, `${mode == MODE_TRAIN ? 'training' : 'validation'} stopped at epoch ${epoch + 1}, rows ${s}..${s + cnt - 1}: non-finite values (NaN or Inf) at instruction ${rc - 1}; the weights were not written — lower the learning rate or check the data`);
    for (let l: u32 = 0; l < io.L; l++) {
      const wl = t.lossWeight(l);
      sums[l] += (wl > 0 ? <f64>load<f32>(base + <usize>io.lossBuf(l)) / wl : 0) * (t.sum ? 1 : <f64>cnt);
    }
  }
  if (io.L == 1) return sums[0] / <f64>count;
  let total: f64 = 0;
  for (let l: u32 = 0; l < io.L; l++) total += t.lossWeight(l) * (sums[l] / <f64>count);
  return total;
}

/** Step t's hyperparameter words (as Optimizer.writeStep): the learning rate, SGD's first-step flag, Adam's bias corrections. */
function writeStep(b: Bundle, base: usize, step: u32, lr: f64): void {
  const t = b.train!, blocks = b.hp + 16;
  for (let j: usize = 0; j < <usize>b.hpK; j++) {
    const at = base + <usize>load<u32>(blocks + (j << 3));
    store<f32>(at, <f32>lr);
    if (t.opt == 0) store<f32>(at, step == 1 ? 1 : 0, 24);
    else if (t.opt == 2) { store<f32>(at, <f32>(1 - Math.pow(t.beta1, <f64>step)), 24); store<f32>(at, <f32>(1 - Math.pow(t.beta2, <f64>step)), 28); }
  }
}

function shuffle(order: usize, n: usize, rng: usize): void {
  for (let i = <i32>n - 1; i > 0; i--) {
    const u = <f64>(rng_next(rng) >> 8) * 5.9604644775390625e-8;
    const j = <i32>Math.floor(u * <f64>(i + 1));
    const pi = order + (<usize>i << 2), pj = order + (<usize>j << 2);
    const v = load<i32>(pi); store<i32>(pi, load<i32>(pj)); store<i32>(pj, v);
  }
}

/** (x - shift) / div in f64, stored as f32 (as Normalizer.apply), over input 0's values. */
export function normalize(x: Blob, t: TrainSection): void {
  const n = x.len >> 2, F = <usize>t.F;
  for (let i: usize = 0; i < n; i++) {
    const j = <u32>(i % F), p = x.ptr + (i << 2);
    store<f32>(p, <f32>((<f64>load<f32>(p) - t.shift(j)) / t.div(j)));
  }
}

function checkTargets(b: Bundle, l: u32, y: Blob, per: usize, what: string): void {
  const io = b.io, n = y.len >> 2;
  for (let i: usize = 0; i < n; i++) {
    if (io.lossKind(l) == 2) {
      const c = load<i32>(y.ptr + (i << 2));
      if (c < 0 || <u32>c >= io.lossClasses(l)) fail(EX_DATAERR, `${what}: label ${c} of sample ${i / per} is not a class id in [0, ${io.lossClasses(l)})`);
    } else {
      const v = load<f32>(y.ptr + (i << 2));
      if (v - v != 0) fail(EX_DATAERR, `${what}: non-finite value at sample ${i / per}`);
    }
  }
}

/** Parameters (PARAMS order) into `dst` (toBuffer) or back from it. */
function copyParams(b: Bundle, base: usize, buf: usize, toBuffer: bool): void {
  let at: usize = 0;
  for (let j: u32 = 0; j < b.paramCount; j++) {
    const q = b.params + (<usize>j << 4), p = base + <usize>load<u32>(q), nb = <usize>load<u32>(q, 4);
    if (toBuffer) memory.copy(buf + at, p, nb); else memory.copy(p, buf + at, nb);
    at += nb;
  }
}

function fnv(p: usize, len: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < len; i++) { h ^= i >= 8 && i < 12 ? 0 : <u32>load<u8>(p + i); h *= 0x01000193; }
  return h;
}

// checkpoint: 80-byte header (magic, version 1, FNV-1a of the file with word 2 read as 0, epochs done,
// steps done, training rows, validation rows, wait, best epoch, bundle checksum, f64 best val_loss,
// shuffle state, stopped early), then the sample order, the state regions, the best weights
function writeCheckpoint(ck: usize, len: usize, b: Bundle, epochs: u32, steps: u32, nt: usize, nv: usize, wait: i32, bestEpoch: i32, bestLoss: f64, stopped: bool, rng: usize, order: usize, base: usize, best: usize, path: string): void {
  const t = b.train!;
  memory.fill(ck, 0, CK_HEAD);
  store<u32>(ck, CK_MAGIC); store<u32>(ck, 1, 4); store<u32>(ck, epochs, 12); store<u32>(ck, steps, 16);
  store<u32>(ck, <u32>nt, 20); store<u32>(ck, <u32>nv, 24); store<i32>(ck, wait, 28); store<i32>(ck, bestEpoch, 32); store<u32>(ck, load<u32>(b.ptr, 88), 36);
  store<f64>(ck, bestLoss, 40); memory.copy(ck + 48, rng, 16); store<u32>(ck, stopped ? 1 : 0, 64);
  let at = ck + CK_HEAD;
  memory.copy(at, order, nt << 2); at += nt << 2;
  for (let r: u32 = 0; r < t.R; r++) { memory.copy(at, base + <usize>t.regionOffset(r), <usize>t.regionBytes(r)); at += <usize>t.regionBytes(r); }
  memory.copy(at, best, b.paramBytes());
  store<u32>(ck, fnv(ck, len), 8);
  writeFileAtomic(path, 'checkpoint', ck, len);
}

function checkCheckpoint(f: Blob, b: Bundle, nt: usize, nv: usize, len: usize, path: string): void {
  const what = `checkpoint ${path}`;
  if (f.len != len || load<u32>(f.ptr) != CK_MAGIC || load<u32>(f.ptr, 4) != 1) fail(EX_DATAERR, `${what}: not a checkpoint of this bundle and data (${f.len} bytes, expected ${len}); delete it to start over`);
  if (fnv(f.ptr, f.len) != load<u32>(f.ptr, 8)) fail(EX_DATAERR, `${what}: checksum mismatch (a torn or corrupted file); delete it to start over`);
  if (load<u32>(f.ptr, 36) != load<u32>(b.ptr, 88)) fail(EX_DATAERR, `${what}: written for another bundle`);
  if (<usize>load<u32>(f.ptr, 20) != nt || <usize>load<u32>(f.ptr, 24) != nv) fail(EX_DATAERR, `${what}: written for ${load<u32>(f.ptr, 20)} training and ${load<u32>(f.ptr, 24)} validation rows, not ${nt} and ${nv}`);
}
