// The WASI program's input files: the command line's --shape option, choosing the shape set a
// bundle holds plans for (asked for, or the one whose sizes divide every input file into the same
// rows), and checking each input file (whole rows, one row count, i32 ids within the declared
// range, finite f32). Every failure names the input and says what was expected.
import { Blob, fail, EX_USAGE, EX_DATAERR } from './io';
import { Bundle } from './bundle';

/** Positional arguments after the command, and the values of the --options (null when absent). */
export class Args {
  pos: string[] = []; shape: string | null = null; weights: string | null = null;
  /** finetune's named options (--epochs 5 --lr 0.01 ...): names and values */
  names: string[] = []; values: string[] = [];
  get(name: string): string | null { const i = this.names.indexOf(name); return i < 0 ? null : this.values[i]; }
}

const OPTIONS = ['epochs', 'lr', 'schedule', 'val', 'patience', 'min-delta', 'checkpoint', 'batch'];

export function splitArgs(args: string[]): Args {
  const a = new Args();
  for (let i = 2; i < args.length; i++) {
    const s = args[i];
    if (s == '--shape') {
      if (i + 1 >= args.length) fail(EX_USAGE, '--shape needs a value, e.g. --shape 5x4,6 (per input, dims joined by x; inputs by commas)');
      a.shape = args[++i];
    } else if (s.startsWith('--shape=')) a.shape = s.substring(8);
    else if (s == '--weights') {
      if (i + 1 >= args.length) fail(EX_USAGE, '--weights needs a file: the f32 weights a finetune wrote (in the bundle\'s PARAMS order)');
      a.weights = args[++i];
    } else if (s.startsWith('--') && OPTIONS.includes(s.substring(2))) {
      if (i + 1 >= args.length) fail(EX_USAGE, `${s} needs a value`);
      if (a.names.includes(s.substring(2))) fail(EX_USAGE, `${s} is given twice`);
      a.names.push(s.substring(2)); a.values.push(args[++i]);
    } else if (s == '--resume') { a.names.push('resume'); a.values.push('1'); }
    else if (s.startsWith('--')) fail(EX_USAGE, `unknown option ${s} (infer takes --shape, --weights; finetune takes --${OPTIONS.join(', --')}, --weights, --resume)`);
    else a.pos.push(s);
  }
  return a;
}

/** What an input is called in messages: "input" for a single-input bundle, else input "name". */
export function inputWhat(b: Bundle, i: u32, single: string): string { return b.io.I == 1 ? single : `${single} "${b.io.inName(i)}"`; }

/** The shape set to run: --shape's, the only one, or the one the file sizes fit. */
export function chooseShape(b: Bundle, xs: Blob[], paths: string[], shape: string | null): u32 {
  const io = b.io;
  if (shape != null) {
    const want = shape.replaceAll(' ', '');
    for (let k: u32 = 0; k < io.K; k++) if (io.key(k) == want) return k;
    fail(EX_DATAERR, `this bundle has no plans for --shape ${want}; it was compiled for ${io.describeShapes()} (recompile with axon compile --shapes to add it)`);
  }
  if (io.K == 1) return 0;
  let found: u32 = 0, count = 0;
  for (let k: u32 = 0; k < io.K; k++) {
    let rows: i64 = -1, ok = true;
    for (let i: u32 = 0; i < io.I; i++) {
      const per = <u64>io.inSize(k, i) * 4, len = <u64>xs[i].len;
      if (len % per != 0 || (rows >= 0 && <i64>(len / per) != rows)) { ok = false; break; }
      rows = <i64>(len / per);
    }
    if (ok) { if (count == 0) found = k; count++; }
  }
  let sizes = '';
  for (let i: u32 = 0; i < io.I; i++) sizes += (i > 0 ? ', ' : '') + `${io.inName(i)} ${paths[i]}: ${xs[i].len} bytes`;
  if (count == 0) fail(EX_DATAERR, `the input files (${sizes}) fit none of the shapes this bundle has plans for: ${io.describeShapes()}`);
  if (count > 1) fail(EX_USAGE, `several of the bundle's shape sets fit the input files (${sizes}); choose one with --shape (${io.describeShapes()})`);
  return found;
}

/** Checks every input file at shape set k (whole rows, the same row count, ids in range, finite values); returns the rows. */
export function checkInputs(b: Bundle, k: u32, xs: Blob[], paths: string[], single: string): usize {
  const io = b.io;
  let rows: usize = 0;
  for (let i: u32 = 0; i < io.I; i++) {
    const per = <usize>io.inSize(k, i), rowBytes = per << 2, x = xs[i], what = `${inputWhat(b, i, single)} ${paths[i]}`;
    if (x.len % rowBytes != 0) fail(EX_DATAERR, `${what}: ${x.len} bytes is not a whole number of rows of ${per} ${io.dtype(i)} (${rowBytes} bytes)${io.K > 1 ? ' at shapes ' + io.key(k) : ''}`);
    const r = x.len / rowBytes;
    if (i > 0 && r != rows) fail(EX_DATAERR, `${what}: ${r} rows, but ${inputWhat(b, 0, single)} ${paths[0]} has ${rows}`);
    rows = r;
    checkValues(b, i, x, per, what);
  }
  return rows;
}

/** i32 ids within the input's declared range; f32 values finite. */
export function checkValues(b: Bundle, i: u32, x: Blob, per: usize, what: string): void {
  const io = b.io, n = x.len >> 2;
  if (io.inI32(i)) {
    if (!io.inHasRange(i)) return;
    const lo = io.inLo(i), hi = io.inHi(i);
    for (let j: usize = 0; j < n; j++) {
      const v = load<i32>(x.ptr + (j << 2));
      if (v < lo || v > hi) fail(EX_DATAERR, `${what}: value ${v} at sample ${j / per} is outside the input's range [${lo}, ${hi}]`);
    }
  } else {
    for (let j: usize = 0; j < n; j++) {
      const v = load<f32>(x.ptr + (j << 2));
      if (v - v != 0) fail(EX_DATAERR, `${what}: non-finite value at sample ${j / per}`);
    }
  }
}
