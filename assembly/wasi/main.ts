// axon.wasi.wasm: the standalone WASI program (entry _start; no JS on the device). It runs a bundle
// made by `axon compile` (format: src/wasi/bundle.ts) with the same plan interpreter and kernels
// as the JS hosts, so its outputs and fine-tuned weights are bit-identical to theirs.
//
//   axon.wasi.wasm infer    bundle.axb input.bin output.bin
//        input.bin: rows of f32 LE (the model's input, already normalized); output.bin: rows of f32 LE.
//        Rows go in chunks of the bundle's batch N; the last short chunk runs its own plan.
//   axon.wasi.wasm finetune bundle.axb x.bin y.bin epochs out-weights.bin
//        x.bin: the compiled number of rows of f32 LE; y.bin: i32 LE class ids or f32 LE rows (as the
//        loss wants); epochs <= the compiled epochs. Shuffles with xoshiro128** / Fisher-Yates exactly
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
import { rng_seed, rng_next } from '../kernels/data';
import { Blob, readFile, writeFile, fail, out, EX_USAGE, EX_DATAERR, EX_SOFTWARE } from './io';
import { Bundle, parseBundle, MODE_PREDICT, MODE_TRAIN } from './bundle';

const MANAGED_RESERVE: usize = 1 << 20;
const reserveEnd: usize = arena_alloc(MANAGED_RESERVE) + MANAGED_RESERVE;

/** Stops before the runtime's objects could reach the arena (they never come close in practice). */
function checkHeap(): void {
  if (heap.alloc(16) + 64 > reserveEnd) fail(EX_SOFTWARE, 'internal: the runtime heap outgrew its reserve (arguments too long?)');
}

const USAGE = 'usage:\n  axon.wasi.wasm infer bundle.axb input.bin output.bin\n  axon.wasi.wasm finetune bundle.axb x.bin y.bin epochs out-weights.bin';

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
  }
  return base;
}

function loadBundle(path: string): Bundle {
  const f = readFile(path, 'bundle');
  return parseBundle(f.ptr, f.len, path);
}

function infer(args: string[]): void {
  if (args.length != 5) fail(EX_USAGE, USAGE);
  const b = loadBundle(args[2]);
  const x = readFile(args[3], 'input');
  const rowBytes = <usize>b.inF << 2, outRow = <usize>b.outF << 2;
  if (x.len % rowBytes != 0) fail(EX_DATAERR, `input ${args[3]}: ${x.len} bytes is not a whole number of rows of ${b.inF} f32 (${rowBytes} bytes)`);
  const rows = x.len / rowBytes;
  if (<u64>rows * <u64>outRow > <u64>0x7fffffff) fail(EX_DATAERR, `input ${args[3]}: ${rows} rows would give more output than this program can hold`);
  const y = alloc(rows * outRow, 'the output');
  const base = place(b, args[2]);
  checkHeap();
  for (let from: usize = 0; from < rows; from += <usize>b.batch) {
    const n = min<usize>(<usize>b.batch, rows - from);
    memory.copy(base + <usize>b.input, x.ptr + from * rowBytes, n * rowBytes);
    const rc = plan_run(b.plan(MODE_PREDICT, <u32>n), base);
    if (rc != 0) fail(EX_SOFTWARE, `rows ${from}..${from + n - 1}: non-finite values at instruction ${rc - 1}`);
    memory.copy(y + from * outRow, base + <usize>b.output, n * outRow);
  }
  writeFile(args[4], 'output', y, rows * outRow);
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
  if (args.length != 7) fail(EX_USAGE, USAGE);
  const b = loadBundle(args[2]);
  if (!b.hasTrain) fail(EX_DATAERR, `bundle ${args[2]}: compiled without fine-tuning (axon compile --epochs E --data x.npy)`);
  const epochs = parseEpochs(args[5], b.epochs);
  const x = readFile(args[3], 'x');
  const y = readFile(args[4], 'y');
  const n = <usize>b.samples, F = <usize>b.inF, Y = <usize>b.targetWords, B = <usize>b.trainBatch;
  if (<u64>x.len != <u64>n * <u64>F * 4) fail(EX_DATAERR, `x ${args[3]}: ${x.len} bytes, but the bundle was compiled for ${n} rows of ${F} f32 (${n * F * 4} bytes)`);
  if (<u64>y.len != <u64>n * <u64>Y * 4) fail(EX_DATAERR, `y ${args[4]}: ${y.len} bytes, but the bundle was compiled for ${n} rows of ${Y} ${b.targetKind == 2 ? 'i32 class ids' : 'f32'} (${n * Y * 4} bytes)`);
  for (let i: usize = 0; i < n * F; i++) {
    const v = load<f32>(x.ptr + (i << 2));
    if (v - v != 0) fail(EX_DATAERR, `x ${args[3]}: non-finite value at sample ${i / F}`);
  }
  if (b.targetKind == 2) {
    for (let i: usize = 0; i < n; i++) {
      const c = load<i32>(y.ptr + (i << 2));
      if (c < 0 || <u32>c >= b.classes) fail(EX_DATAERR, `y ${args[4]}: label ${c} of sample ${i} is not a class id in [0, ${b.classes})`);
    }
  } else {
    for (let i: usize = 0; i < n * Y; i++) {
      const v = load<f32>(y.ptr + (i << 2));
      if (v - v != 0) fail(EX_DATAERR, `y ${args[4]}: non-finite value at sample ${i / Y}`);
    }
  }
  const order = alloc(n << 2, 'the sample order');
  for (let i: usize = 0; i < n; i++) store<i32>(order + (i << 2), <i32>i);
  const rng = alloc(16, 'the shuffle state');
  rng_seed(rng, b.seed);
  const base = place(b, args[2]);
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
  const rowBytes = F << 2, tRow = Y << 2;
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
        memory.copy(base + <usize>b.input + r * rowBytes, x.ptr + i * rowBytes, rowBytes);
        memory.copy(base + <usize>b.target + r * tRow, y.ptr + i * tRow, tRow);
      }
      const t = <usize>epoch * <usize>b.steps + <usize>s;
      for (let q: usize = 0; q < V; q++) {
        store<u32>(<usize>load<u32>(wordAt + (<usize>load<u32>(varying + (q << 2)) << 2)), load<u32>(values + ((t * V + q) << 2)));
      }
      const rc = plan_run(b.plan(MODE_TRAIN, <u32>cnt), base);
      if (rc != 0) fail(EX_SOFTWARE, `training stopped at epoch ${epoch + 1}, step ${s + 1}: non-finite values (NaN or Inf) at instruction ${rc - 1}; the weights were not written — lower the learning rate or check the data`);
      sum += <f64>load<f32>(base + <usize>b.loss) * <f64>cnt;
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
  writeFile(args[6], 'weights', w, total);
}

const args = process.argv;
checkHeap();
if (args.length < 2) fail(EX_USAGE, USAGE);
else if (args[1] == 'infer') infer(args);
else if (args[1] == 'finetune') finetune(args);
else if (args[1] == '--help' || args[1] == 'help') out(USAGE);
else fail(EX_USAGE, `unknown command "${args[1]}"\n${USAGE}`);
