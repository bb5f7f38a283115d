// axon.wasi.wasm: the standalone WASI program (entry _start; no JS on the device). It runs a bundle
// made by `axon compile` (format: src/wasi/bundle.ts) with the same plan interpreter and kernels
// as the JS hosts, so its outputs and fine-tuned weights are bit-identical to theirs.
//
//   axon.wasi.wasm infer    bundle.axb input.bin... output.bin... [--shape 5x4,6]
//        One file per model input, in the bundle's input order (rows of f32 LE, or i32 LE for an i32
//        input, already normalized), then one file per output (rows of f32 LE). The shape set (a
//        bundle holds plans for the concrete input shapes it was compiled for) is --shape's (per
//        input, dims joined by x; inputs by commas), else the one whose per-sample sizes divide
//        every input file into the same rows; another exits 65 listing the shapes it has.
//        Rows go in chunks of the bundle's batch N; the last short chunk runs its own plan.
//   axon.wasi.wasm finetune bundle.axb x.bin... y.bin... epochs out-weights.bin
//        x: one file per input, the compiled number of rows at the train shapes; y: one file per
//        loss, i32 LE class ids or f32 LE rows (as the loss wants); epochs <= the compiled epochs.
//   axon.wasi.wasm finetune bundle.axb x.bin... y.bin... out-weights.bin --epochs E [--lr ...]
//        A bundle compiled with --device trains on any number of rows with the run's options chosen
//        on the device: train.ts.
//   --weights w.bin (infer, finetune): start from the weights a finetune wrote instead of the bundle's.
//        Shuffles with xoshiro128** / Fisher-Yates exactly
//        as src/runtime/rng.ts, writes each step's hyperparameter words from the bundle, runs the
//        train plan per mini-batch, prints each epoch's mean loss, and writes the parameters
//        (f32 LE, concatenated in the bundle's PARAMS order) to out-weights.bin.
//
// Paths are resolved against the preopened directories (longest prefix). Errors: one line on stderr
// and exit code 64 usage, 65 bad bundle/data, 66 unreadable input, 70 non-finite/out of memory,
// 73 unwritable output.
//
// Memory: the AssemblyScript stub runtime and the arena (assembly/arena.ts) both start at
// __heap_base, so the first arena block is reserved for the runtime's few small objects (argv,
// paths, messages); every data buffer comes from the arena above it.
import { arena_alloc } from '../arena';
import { plan_validate, plan_run } from '../plan';
import { op_check, op_name } from './op_check';
import { rng_seed, rng_next } from '../kernels/data';
import { Blob, readFile, writeFile, fail, out, EX_USAGE, EX_DATAERR, EX_SOFTWARE } from './io';
import { Bundle, parseBundle, MODE_PREDICT, MODE_TRAIN } from './bundle';
import { splitArgs, chooseShape, checkInputs, checkValues, inputWhat } from './feed';
import { deviceFinetune, normalize } from './train';
import { isWav, wavSamples } from './wav';

const MANAGED_RESERVE: usize = 1 << 20;
const reserveEnd: usize = arena_alloc(MANAGED_RESERVE) + MANAGED_RESERVE;

/** Stops before the runtime's objects could reach the arena (they never come close in practice). */
function checkHeap(): void {
  if (heap.alloc(16) + 64 > reserveEnd) fail(EX_SOFTWARE, 'internal: the runtime heap outgrew its reserve (arguments too long?)');
}

const USAGE = 'usage:\n  axon.wasi.wasm infer bundle.axb input.bin... output.bin... [--shape 5x4,6] [--weights w.bin]\n  axon.wasi.wasm finetune bundle.axb x.bin... y.bin... epochs out-weights.bin\n  axon.wasi.wasm finetune device.axb x.bin... y.bin... out-weights.bin --epochs E [--lr R] [--schedule S] [--val F] [--patience P] [--min-delta D] [--checkpoint ck.bin [--resume]] [--weights w.bin]';

function alloc(bytes: usize, what: string): usize {
  const p = arena_alloc(bytes);
  if (p == 0) fail(EX_SOFTWARE, `out of memory allocating ${bytes} bytes for ${what}`);
  return p;
}

/** Places the bundle's arena (zeroed + image) and validates every plan against it; returns the base. */
function place(b: Bundle, name: string): usize {
  const base = alloc(<usize>b.arenaBytes, 'the model arena');
  memory.fill(base, 0, <usize>b.arenaBytes);
  let at = b.image + (<usize>b.imageCount << 3);
  for (let j: u32 = 0; j < b.imageCount; j++) {
    const off = <usize>load<u32>(b.image + (<usize>j << 3)), n = <usize>load<u32>(b.image + (<usize>j << 3), 4);
    memory.copy(base + off, at, n);
    at += (n + 3) & ~3;
  }
  for (let j: u32 = 0; j < b.planCount; j++) {
    const e = b.plans + (<usize>j << 4);
    const plan = b.plans + <usize>load<u32>(e, 8);
    const rc = plan_validate(plan, <usize>load<u32>(e, 12), base);
    if (rc != 0) fail(EX_DATAERR, `bundle ${name}: plan ${j} is invalid (error ${rc})`);
    // every buffer inside the bundle's arena (plan_validate only knows the memory's end)
    for (let k: usize = 0, nbuf = <usize>load<u32>(plan, 8); k < nbuf; k++) {
      const t = plan + 16 + (k << 3);
      if (<u64>load<u32>(t) + <u64>load<u32>(t, 4) > <u64>b.arenaBytes) fail(EX_DATAERR, `bundle ${name}: plan ${j}: buffer ${k} lies outside the ${b.arenaBytes}-byte arena`);
    }
    checkInstructions(plan, name, j);
  }
  return base;
}

/** Every instruction of a structurally valid plan against the op registry's rules and extents (op_check.ts, generated). */
function checkInstructions(plan: usize, name: string, j: u32): void {
  const tab = plan + 16, nbuf = <usize>load<u32>(plan, 8);
  let pc = tab + (nbuf << 3), index = 0;
  const end = pc + (<usize>load<u32>(plan, 12) << 2);
  while (pc < end) {
    const op = load<i32>(pc), bad = op_check(op, pc + 8, tab);
    if (bad !== null) fail(EX_DATAERR, `bundle ${name}: plan ${j}, instruction ${index} (${op_name(op)}): ${bad}; the bundle is corrupt or was not written by axon compile`);
    pc += 8 + (<usize>load<i32>(pc, 4) << 2);
    index++;
  }
}

/** Overwrites the bundle's parameters with a weights file (f32 LE in PARAMS order, as finetune writes it). */
function loadWeights(b: Bundle, base: usize, path: string): void {
  const w = readFile(path, 'weights'), total = b.paramBytes();
  if (w.len != total) fail(EX_DATAERR, `weights ${path}: ${w.len} bytes, but this bundle's ${b.paramCount} parameters take ${total} (a weights file of another bundle?)`);
  for (let i: usize = 0; i < total >> 2; i++) {
    const v = load<f32>(w.ptr + (i << 2));
    if (v - v != 0) fail(EX_DATAERR, `weights ${path}: non-finite value at f32 #${i}`);
  }
  let at: usize = 0;
  for (let j: u32 = 0; j < b.paramCount; j++) {
    const q = b.params + (<usize>j << 4), nb = <usize>load<u32>(q, 4);
    memory.copy(base + <usize>load<u32>(q), w.ptr + at, nb);
    at += nb;
  }
}

function loadBundle(path: string): Bundle {
  const f = readFile(path, 'bundle');
  return parseBundle(f.ptr, f.len, path);
}

/** What this bundle's infer takes: its inputs and outputs by name. */
function inferUsage(b: Bundle, path: string): string {
  const io = b.io;
  let files = '';
  for (let i: u32 = 0; i < io.I; i++) files += ` <${io.inName(i)}.bin>`;
  for (let o: u32 = 0; o < io.O; o++) files += ` <${io.outName(o)}.bin>`;
  return `usage: bundle ${path} takes ${io.I} input${io.I > 1 ? 's' : ''} (${io.describeInputs()}) and writes ${io.O} output${io.O > 1 ? 's' : ''} (${io.describeOutputs()}):\n  axon.wasi.wasm infer ${path}${files}${io.K > 1 ? ' [--shape ' + io.key(0) + ']' : ''}\n  shapes compiled: ${io.describeShapes()}`;
}

function infer(args: string[]): void {
  const a = splitArgs(args);
  if (a.pos.length < 3) fail(EX_USAGE, USAGE);
  const b = loadBundle(a.pos[0]), io = b.io;
  if (<u32>a.pos.length != 1 + io.I + io.O) fail(EX_USAGE, inferUsage(b, a.pos[0]));
  const xs = new Array<Blob>(), paths = new Array<string>();
  for (let i: u32 = 0; i < io.I; i++) {
    paths.push(a.pos[1 + i]);
    const x = readFile(a.pos[1 + i], inputWhat(b, i, 'input'));
    // a WAV file for an f32 input: its samples (wav.ts)
    xs.push(!io.inI32(i) && isWav(x) ? wavSamples(x, io.K == 1 ? <usize>io.inSize(0, i) : 0, `${inputWhat(b, i, 'input')} ${a.pos[1 + i]}`) : x);
  }
  const k = chooseShape(b, xs, paths, a.shape);
  const rows = checkInputs(b, k, xs, paths, 'input');
  if (b.train != null && b.train!.F > 0) {   // a bundle that normalizes on the device: raw rows in
    if (io.inSize(k, 0) % <u64>b.train!.F != 0) fail(EX_DATAERR, `the bundle's normalizer (${b.train!.F} values) does not fit input "${io.inName(0)}" at shapes ${io.key(k)}`);
    normalize(xs[0], b.train!);
  }
  const ys = new Array<usize>();
  for (let o: u32 = 0; o < io.O; o++) {
    if (<u64>rows * (<u64>io.outSize(k, o) << 2) > <u64>0x7fffffff) fail(EX_DATAERR, `${rows} rows would give more output than this program can hold`);
    ys.push(alloc(rows * (<usize>io.outSize(k, o) << 2), 'the outputs'));
  }
  const base = place(b, a.pos[0]);
  if (a.weights != null) loadWeights(b, base, a.weights!);
  checkHeap();
  for (let from: usize = 0; from < rows; from += <usize>b.batch) {
    const n = min<usize>(<usize>b.batch, rows - from);
    for (let i: u32 = 0; i < io.I; i++) {
      const rowBytes = <usize>io.inSize(k, i) << 2;
      memory.copy(base + <usize>io.inOffset(i), xs[i].ptr + from * rowBytes, n * rowBytes);
    }
    const rc = plan_run(b.plan(MODE_PREDICT, <u32>n, k), base);
    if (rc != 0) fail(EX_SOFTWARE, `rows ${from}..${from + n - 1}: non-finite values at instruction ${rc - 1}`);
    for (let o: u32 = 0; o < io.O; o++) {
      const outRow = <usize>io.outSize(k, o) << 2;
      memory.copy(ys[o] + from * outRow, base + <usize>io.outOffset(o), n * outRow);
    }
  }
  for (let o: u32 = 0; o < io.O; o++) writeFile(a.pos[1 + io.I + o], io.O == 1 ? 'output' : `output "${io.outName(o)}"`, ys[o], rows * (<usize>io.outSize(k, o) << 2));
}

function parseEpochs(s: string, max: u32): u32 {
  let v: u64 = 0;
  if (s.length == 0 || s.length > 9) fail(EX_USAGE, `epochs "${s}" is not a positive integer`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) fail(EX_USAGE, `epochs "${s}" is not a positive integer`);
    v = v * 10 + <u64>(c - 48);
  }
  if (v < 1 || v > <u64>max) fail(EX_USAGE, `epochs must be in [1, ${max}] (the bundle's hyperparameters cover ${max} epochs), got ${s}`);
  return <u32>v;
}

function finetune(args: string[]): void {
  const a = splitArgs(args);
  if (a.pos.length < 4) fail(EX_USAGE, USAGE);
  if (a.shape != null) fail(EX_USAGE, 'finetune runs at the shapes the bundle was compiled to train at; --shape is for infer');
  const b = loadBundle(a.pos[0]), io = b.io;
  if (!b.hasTrain) fail(EX_DATAERR, `bundle ${a.pos[0]}: compiled without fine-tuning (axon compile --device, or --epochs E --data x.npy)`);
  if (b.hpW == 0) fail(EX_DATAERR, `bundle ${a.pos[0]}: nothing to train (NOTHING_TO_TRAIN): it has no trainable parameters (every layer frozen or int8), so fine-tuning would change nothing`);
  if (b.train != null) {
    if (<u32>a.pos.length != 1 + io.I + io.L + 1) fail(EX_USAGE, `usage: bundle ${a.pos[0]} trains on the device on ${io.I} input file${io.I > 1 ? 's' : ''} (${io.describeInputs()}) and ${io.L} target file${io.L > 1 ? 's' : ''}:\n  axon.wasi.wasm finetune ${a.pos[0]} x.bin... y.bin... out-weights.bin --epochs E [--lr R] [--schedule S] [--val F --patience P] [--checkpoint ck.bin [--resume]]`);
    const base = place(b, a.pos[0]);
    if (a.weights != null) loadWeights(b, base, a.weights!);
    checkHeap();
    deviceFinetune(a, b, base, alloc);
    return;
  }
  if (a.names.length > 0) fail(EX_USAGE, `bundle ${a.pos[0]} replays the schedule it was compiled with (finetune bundle x.bin y.bin epochs w.bin); recompile with axon compile --device for --epochs, --lr, --schedule, --val, --patience, --checkpoint`);
  if (<u32>a.pos.length != 1 + io.I + io.L + 2) {
    let files = '';
    for (let i: u32 = 0; i < io.I; i++) files += ` <x ${io.inName(i)}.bin>`;
    for (let l: u32 = 0; l < io.L; l++) files += ` <y ${io.outName(io.lossOutput(l))}.bin>`;
    fail(EX_USAGE, `usage: bundle ${a.pos[0]} fine-tunes on ${io.I} input${io.I > 1 ? 's' : ''} (${io.describeInputs()}) with ${io.L} loss${io.L > 1 ? 'es' : ''}:\n  axon.wasi.wasm finetune ${a.pos[0]}${files} epochs out-weights.bin`);
  }
  const epochs = parseEpochs(a.pos[1 + io.I + io.L], b.epochs);
  const n = <usize>b.samples, B = <usize>b.trainBatch, tk = b.trainShape;
  const xs = new Array<Blob>(), ts = new Array<Blob>();
  for (let i: u32 = 0; i < io.I; i++) {
    const path = a.pos[1 + i], what = inputWhat(b, i, 'x'), x = readFile(path, what), F = <usize>io.inSize(tk, i);
    if (x.len != n * F * 4) fail(EX_DATAERR, `${what} ${path}: ${x.len} bytes, but the bundle was compiled for ${n} rows of ${F} ${io.dtype(i)} (${n * F * 4} bytes)`);
    checkValues(b, i, x, F, `${what} ${path}`);
    xs.push(x);
  }
  for (let l: u32 = 0; l < io.L; l++) {
    const path = a.pos[1 + io.I + l], what = io.L == 1 ? 'y' : `y "${io.outName(io.lossOutput(l))}"`, y = readFile(path, what), Y = <usize>io.lossWords(l);
    if (y.len != n * Y * 4) fail(EX_DATAERR, `${what} ${path}: ${y.len} bytes, but the bundle was compiled for ${n} rows of ${Y} ${io.lossKind(l) == 2 ? 'i32 class ids' : 'f32'} (${n * Y * 4} bytes)`);
    if (io.lossKind(l) == 2) {
      for (let i: usize = 0; i < n; i++) {
        const c = load<i32>(y.ptr + (i << 2));
        if (c < 0 || <u32>c >= io.lossClasses(l)) fail(EX_DATAERR, `${what} ${path}: label ${c} of sample ${i} is not a class id in [0, ${io.lossClasses(l)})`);
      }
    } else {
      for (let i: usize = 0; i < n * Y; i++) {
        const v = load<f32>(y.ptr + (i << 2));
        if (v - v != 0) fail(EX_DATAERR, `${what} ${path}: non-finite value at sample ${i / Y}`);
      }
    }
    ts.push(y);
  }
  const order = alloc(n << 2, 'the sample order');
  for (let i: usize = 0; i < n; i++) store<i32>(order + (i << 2), <i32>i);
  const rng = alloc(16, 'the shuffle state');
  rng_seed(rng, b.seed);
  const base = place(b, a.pos[0]);
  if (a.weights != null) loadWeights(b, base, a.weights!);
  // hyperparameters: base words into their blocks once; wordAt[k] = arena address of word k
  const K = <usize>b.hpK, W = <usize>b.hpW, V = <usize>b.hpV;
  const blocks = b.hp + 16, baseWords = blocks + (K << 3), varying = baseWords + (W << 2), values = varying + (V << 2);
  const wordAt = alloc(W << 2, 'hyperparameter addresses');
  let k: usize = 0;
  for (let j: usize = 0; j < K; j++) {
    const off = <usize>load<u32>(blocks + (j << 3)), words = <usize>load<u32>(blocks + (j << 3), 4);
    for (let q: usize = 0; q < words; q++) { store<u32>(wordAt + (k << 2), <u32>(base + off + (q << 2))); k++; }
  }
  for (let q: usize = 0; q < W; q++) store<u32>(<usize>load<u32>(wordAt + (q << 2)), load<u32>(baseWords + (q << 2)));
  checkHeap();
  for (let epoch: u32 = 0; epoch < epochs; epoch++) {
    if (b.shuffle) {
      for (let i = <i32>n - 1; i > 0; i--) {
        const u = <f64>(rng_next(rng) >> 8) * 5.9604644775390625e-8;
        const j = <i32>Math.floor(u * <f64>(i + 1));
        const pi = order + (<usize>i << 2), pj = order + (<usize>j << 2);
        const t = load<i32>(pi); store<i32>(pi, load<i32>(pj)); store<i32>(pj, t);
      }
    }
    let sum: f64 = 0;
    for (let s: u32 = 0; s < b.steps; s++) {
      const from = <usize>s * B, cnt = min<usize>(B, n - from);
      for (let r: usize = 0; r < cnt; r++) {
        const i = <usize>load<i32>(order + ((from + r) << 2));
        for (let q: u32 = 0; q < io.I; q++) {
          const rowBytes = <usize>io.inSize(tk, q) << 2;
          memory.copy(base + <usize>io.inOffset(q) + r * rowBytes, xs[q].ptr + i * rowBytes, rowBytes);
        }
        for (let l: u32 = 0; l < io.L; l++) {
          const tRow = <usize>io.lossWords(l) << 2;
          memory.copy(base + <usize>io.lossTarget(l) + r * tRow, ts[l].ptr + i * tRow, tRow);
        }
      }
      const t = <usize>epoch * <usize>b.steps + <usize>s;
      for (let q: usize = 0; q < V; q++) {
        store<u32>(<usize>load<u32>(wordAt + (<usize>load<u32>(varying + (q << 2)) << 2)), load<u32>(values + ((t * V + q) << 2)));
      }
      const rc = plan_run(b.plan(MODE_TRAIN, <u32>cnt, tk), base);
      if (rc != 0) fail(EX_SOFTWARE, `training stopped at epoch ${epoch + 1}, step ${s + 1}: non-finite values (NaN or Inf) at instruction ${rc - 1}; the weights were not written — lower the learning rate or check the data`);
      for (let l: u32 = 0; l < io.L; l++) sum += <f64>load<f32>(base + <usize>io.lossBuf(l)) * <f64>cnt;
    }
    out(`epoch ${epoch + 1}/${epochs} loss ${(sum / <f64>n).toString()}`);
  }
  const total = b.paramBytes();
  const w = alloc(total, 'the weights');
  let at: usize = 0;
  for (let j: u32 = 0; j < b.paramCount; j++) {
    const q = b.params + (<usize>j << 4), nb = <usize>load<u32>(q, 4);
    memory.copy(w + at, base + <usize>load<u32>(q), nb);
    at += nb;
  }
  writeFile(a.pos[a.pos.length - 1], 'weights', w, total);
}

const args = process.argv;
checkHeap();
if (args.length < 2) fail(EX_USAGE, USAGE);
else if (args[1] == 'infer') infer(args);
else if (args[1] == 'finetune') finetune(args);
else if (args[1] == '--help' || args[1] == 'help') out(USAGE);
else fail(EX_USAGE, `unknown command "${args[1]}"\n${USAGE}`);
