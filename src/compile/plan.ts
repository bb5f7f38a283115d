// Plans: a Layout (the buffer table, shared by every plan of a model) and Plans (instruction lists
// over the layout's buffers). Every instruction is checked against src/ops.ts when emitted: buffer
// dtypes, byte extents for the given dimensions, and argument rules, so no kernel ever runs with
// a shape the host did not accept. Encoding matches assembly/plan.ts.
import { AxonError } from '../errors.js';
import { DTYPE_BYTES, Dims, Dtype, OpSpec, opByName } from '../ops.js';

export const PLAN_MAGIC = 0x4c505841;
export const PLAN_VERSION = 1;

export interface BufferDef { id: number; name: string; dtype: Dtype; count: number; bytes: number; offset: number; root: number }
export type Buf = number;

/**
 * The buffer table. Roots get 16-aligned offsets when the layout is finalized (so a root may
 * still grow before that, e.g. the GEMM scratch); views alias a byte range of a root.
 */
export class Layout {
  readonly buffers: BufferDef[] = [];
  private readonly names = new Map<string, number>();
  private rel: number[] = [];
  private total = -1;

  get finalized(): boolean { return this.total >= 0; }
  get bytes(): number { return this.finalize(); }

  /** A new root buffer of `count` elements. */
  add(name: string, dtype: Dtype, count: number): Buf {
    this.mutable(name);
    if (this.names.has(name)) throw new AxonError('BAD_ARGUMENT', `buffer "${name}" is defined twice`);
    return this.push({ name, dtype, count: 0, bytes: 0, offset: -1, root: -1 }, 0, count);
  }

  /** Raises a root buffer to at least `count` elements (before finalize). */
  grow(id: Buf, count: number): void {
    const b = this.get(id);
    if (count <= b.count) return;
    this.mutable(b.name);
    if (b.root >= 0) throw new AxonError('BAD_ARGUMENT', `buffer "${b.name}" is a view and cannot grow`);
    this.setCount(b, count);
  }

  /** A view of `count` elements of `dtype` starting `byteOffset` bytes into buffer `of`. */
  view(name: string, of: Buf, byteOffset: number, dtype: Dtype, count: number): Buf {
    const parent = this.get(of);
    const bytes = count * DTYPE_BYTES[dtype];
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || byteOffset + bytes > parent.bytes || (byteOffset % 4 !== 0 && DTYPE_BYTES[dtype] === 4))
      throw new AxonError('OUT_OF_BOUNDS', `view "${name}" [${byteOffset}, ${byteOffset + bytes}) does not fit buffer "${parent.name}" (${parent.bytes} bytes)`);
    const root = parent.root < 0 ? parent.id : parent.root;
    const id = this.push({ name, dtype, count, bytes, offset: -1, root }, this.rel[parent.id] + byteOffset, count);
    if (this.finalized) this.buffers[id].offset = this.buffers[root].offset + this.rel[id];
    return id;
  }

  /** Assigns offsets; returns the total bytes. Later adds and grows are refused. */
  finalize(): number {
    if (this.total >= 0) return this.total;
    let off = 0;
    for (const b of this.buffers) if (b.root < 0) { b.offset = off; off += ((b.bytes + 15) & ~15) || 16; }
    for (const b of this.buffers) if (b.root >= 0) b.offset = this.buffers[b.root].offset + this.rel[b.id];
    if (off > 0xfff00000) throw new AxonError('OUT_OF_MEMORY', `layout needs ${off} bytes, beyond wasm32's 4 GiB; use a smaller batch or model`);
    return (this.total = off);
  }

  get(id: Buf): BufferDef {
    const b = this.buffers[id];
    if (!b) throw new AxonError('BAD_ARGUMENT', `no buffer with id ${id}`);
    return b;
  }
  byName(name: string): BufferDef | undefined { const id = this.names.get(name); return id === undefined ? undefined : this.buffers[id]; }

  private mutable(name: string): void {
    if (this.finalized) throw new AxonError('PLAN_INVALID', `buffer "${name}" requested after the layout was placed in memory (internal: declare every buffer before binding)`);
  }
  private setCount(b: BufferDef, count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new AxonError('BAD_SHAPE', `buffer "${b.name}": element count must be a non-negative integer, got ${count}`);
    b.count = count;
    b.bytes = count * DTYPE_BYTES[b.dtype];
  }
  private push(b: Omit<BufferDef, 'id'>, rel: number, count: number): Buf {
    const id = this.buffers.length;
    const def = { ...b, id };
    this.buffers.push(def);
    this.rel[id] = rel;
    this.names.set(b.name, id);
    if (b.root < 0) this.setCount(def, count);
    return id;
  }
}

function dimsText(op: OpSpec, d: Dims): string {
  return op.args.filter((a) => a.kind !== 'ptr').map((a) => `${a.name}=${d[a.name]}`).join(' ');
}

export interface Instr { op: OpSpec; args: number[]; label: string }

/** An instruction list over a Layout; encode() gives the bytes assembly/plan.ts runs. */
export class Plan {
  readonly instrs: Instr[] = [];
  constructor(readonly layout: Layout, readonly name = 'plan') {}

  /** Appends one op. `args` maps each argument name to a buffer id (ptr) or a number. */
  emit(opName: string, args: Record<string, number>, label = opName): this {
    const op = opByName(opName);
    const d: Dims = {};
    for (const a of op.args) {
      const v = args[a.name];
      if (v === undefined) throw new AxonError('PLAN_INVALID', `${label}: op ${op.name} is missing argument "${a.name}"`);
      if (a.kind === 'i32' && (!Number.isInteger(v) || v < 0 || v > 0x7fffffff))
        throw new AxonError('BAD_SHAPE', `${label}: op ${op.name} argument ${a.name} must be a non-negative integer, got ${v}`);
      if (a.kind === 'f32' && !Number.isFinite(v)) throw new AxonError('BAD_ARGUMENT', `${label}: op ${op.name} argument ${a.name} must be finite, got ${v}`);
      d[a.name] = v;
    }
    for (const k of Object.keys(args)) if (!op.args.some((a) => a.name === k)) throw new AxonError('PLAN_INVALID', `${label}: op ${op.name} has no argument "${k}"`);
    const bad = op.validate?.(d);
    if (bad) throw new AxonError('BAD_ARGUMENT', `${label}: ${bad}`);
    for (const a of op.args) {
      if (a.kind !== 'ptr') continue;
      const b = this.layout.get(args[a.name]);
      const compatible = a.dtype === b.dtype || (a.dtype === 'x32' && DTYPE_BYTES[b.dtype] === 4);
      if (!compatible) throw new AxonError('BAD_DTYPE', `${label}: op ${op.name} argument ${a.name} wants ${a.dtype} but buffer "${b.name}" is ${b.dtype}`);
      const need = a.len(d) * DTYPE_BYTES[a.dtype];
      if (!(need >= 0 && need <= b.bytes)) throw new AxonError('OUT_OF_BOUNDS', `${label}: op ${op.name} argument ${a.name} needs ${need} bytes for ${dimsText(op, d)} but buffer "${b.name}" has ${b.bytes}`);
    }
    this.instrs.push({ op, args: op.args.map((a) => args[a.name]), label });
    return this;
  }

  /** The binary plan: header, buffer table (offsets relative to the layout's base), code. */
  encode(): Uint32Array {
    this.layout.finalize();
    const bufs = this.layout.buffers;
    const code = this.instrs.reduce((s, ins) => s + 2 + ins.args.length, 0);
    const w = new Uint32Array(4 + bufs.length * 2 + code);
    const f = new Float32Array(w.buffer);
    w[0] = PLAN_MAGIC; w[1] = PLAN_VERSION; w[2] = bufs.length; w[3] = code;
    let k = 4;
    for (const b of bufs) { w[k++] = b.offset; w[k++] = b.bytes; }
    for (const ins of this.instrs) {
      w[k++] = ins.op.code; w[k++] = ins.args.length;
      ins.op.args.forEach((a, j) => { if (a.kind === 'f32') f[k++] = ins.args[j]; else w[k++] = ins.args[j] >>> 0; });
    }
    return w;
  }
}
