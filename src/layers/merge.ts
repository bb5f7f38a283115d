// Merge layers: several inputs, one output. They make a model a graph (residual and
// concatenating blocks); see Model.add's `inputs`.
//   Add:         y = x0 + x1 + …   (same shapes); dx_j += dy
//   Concatenate: inputs joined along one per-sample axis (default the last: channels in NHWC);
//                each input's gradient is its block of dy, added back.
//   Multiply:    y = x0 * x1, equal shapes, or one input a gate broadcast over the other: one
//                value per channel (shape [C], [1, 1, C], …) or one per sample (squeeze-and-excitation).
import { AxonError } from '../errors.js';
import { Ctx, IO, MergeLayer, size } from './layer.js';

export class Add extends MergeLayer {
  readonly type = 'add';
  constructor(opts: { name?: string } = {}) { super(); if (opts.name) this.name = opts.name; }
  buildMerge(shapes: number[][]): number[] {
    if (shapes.length < 2) throw new AxonError('BAD_CONFIG', `add needs at least 2 inputs, got ${shapes.length}`);
    const bad = shapes.find((s) => s.join() !== shapes[0].join());
    if (bad) throw new AxonError('BAD_SHAPE', `add needs inputs of one shape, got ${shapes.map((s) => `[${s}]`).join(', ')}`);
    this.inputShapes = shapes;
    this.inputShape = shapes[0];
    return (this.outputShape = shapes[0]);
  }
  forward(c: Ctx, { xs, y }: IO): void {
    const n = c.batch * size(this.outputShape);
    c.emit('add', { y, a: xs[0], b: xs[1], n }, this.name);
    for (const x of xs.slice(2)) c.emit('axpy', { y, x, a: 1, n }, this.name);
  }
  backward(c: Ctx, { dxs, dy }: IO): void {
    if (dy === undefined) return;
    const n = c.batch * size(this.outputShape);
    for (const dx of dxs) if (dx !== undefined) c.emit('axpy', { y: dx, x: dy, a: 1, n }, this.name);
  }
  config(): Record<string, unknown> { return {}; }
}

export class Concatenate extends MergeLayer {
  readonly type = 'concatenate';
  /** per-sample axis (no batch axis); negative counts from the end */
  readonly axis: number;
  private ax = 0;
  constructor(opts: { axis?: number; name?: string } = {}) {
    super();
    this.axis = opts.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new AxonError('BAD_CONFIG', `concatenate: axis must be an integer, got ${opts.axis}`);
    if (opts.name) this.name = opts.name;
  }
  buildMerge(shapes: number[][]): number[] {
    if (shapes.length < 2) throw new AxonError('BAD_CONFIG', `concatenate needs at least 2 inputs, got ${shapes.length}`);
    const r = shapes[0].length, ax = this.axis < 0 ? r + this.axis : this.axis;
    if (ax < 0 || ax >= r) throw new AxonError('BAD_CONFIG', `concatenate: axis ${this.axis} is out of range for per-sample rank ${r} (the batch axis is not counted)`);
    const same = (s: number[]) => s.length === r && s.every((d, k) => k === ax || d === shapes[0][k]);
    if (!shapes.every(same)) throw new AxonError('BAD_SHAPE', `concatenate on axis ${this.axis} needs inputs equal on every other axis, got ${shapes.map((s) => `[${s}]`).join(', ')}`);
    this.ax = ax;
    this.inputShapes = shapes;
    this.inputShape = shapes[0];
    const out = shapes[0].slice();
    out[ax] = shapes.reduce((s, d) => s + d[ax], 0);
    return (this.outputShape = out);
  }
  /** Each input's block: rows (batch × axes before), cols (its share of a row), offset in an output row, output row pitch. */
  private blocks(batch: number): Array<{ rows: number; cols: number; off: number; ld: number }> {
    const inner = size(this.outputShape.slice(this.ax + 1)), rows = batch * size(this.outputShape.slice(0, this.ax)), ld = this.outputShape[this.ax] * inner;
    let off = 0;
    return this.inputShapes.map((s) => { const cols = s[this.ax] * inner, b = { rows, cols, off, ld }; off += cols; return b; });
  }
  forward(c: Ctx, { xs, y }: IO): void {
    this.blocks(c.batch).forEach((b, j) => c.emit('copy_strided', { y, x: xs[j], rows: b.rows, cols: b.cols, ldy: b.ld, ldx: b.cols, offy: b.off, offx: 0 }, this.name));
  }
  backward(c: Ctx, { dxs, dy }: IO): void {
    if (dy === undefined) return;
    this.blocks(c.batch).forEach((b, j) => {
      const dx = dxs[j];
      if (dx !== undefined) c.emit('add_strided', { y: dx, x: dy, rows: b.rows, cols: b.cols, ldy: b.cols, ldx: b.ld, offy: 0, offx: b.off }, this.name);
    });
  }
  config(): Record<string, unknown> { return { axis: this.axis }; }
}

export class Multiply extends MergeLayer {
  readonly type = 'multiply';
  /** index of the full input, the gate's values per sample (G), positions per sample (P), channels (C) */
  private dims = { full: 0, P: 1, C: 1, G: 1 };
  constructor(opts: { name?: string } = {}) { super(); if (opts.name) this.name = opts.name; }
  buildMerge(shapes: number[][]): number[] {
    if (shapes.length !== 2) throw new AxonError('BAD_CONFIG', `multiply takes 2 inputs, got ${shapes.length}`);
    const n = shapes.map(size), full = n[1] > n[0] ? 1 : 0, x = shapes[full], g = shapes[1 - full], C = x[x.length - 1];
    const gate = n[1 - full], ones = g.slice(0, -1).every((d) => d === 1);
    if (x.join() === g.join()) this.dims = { full, P: 1, C: n[full], G: n[full] };
    else if (gate === 1) this.dims = { full, P: n[full] / C, C, G: 1 };
    else if (gate === C && ones && g[g.length - 1] === C) this.dims = { full, P: n[full] / C, C, G: C };
    else throw new AxonError('BAD_SHAPE', `multiply needs equal shapes, or a gate of one value per channel ([${C}] or [${x.map((_, k) => (k === x.length - 1 ? C : 1))}]) or per sample ([1]); got [${shapes[0]}] and [${shapes[1]}]`);
    this.inputShapes = shapes;
    this.inputShape = x;
    return (this.outputShape = x);
  }
  private args(c: Ctx) { const { P, C, G } = this.dims; return { B: c.batch, P, C, G }; }
  forward(c: Ctx, { xs, y }: IO): void {
    const f = this.dims.full;
    c.emit('mul_bcast_fwd', { y, x: xs[f], g: xs[1 - f], ...this.args(c) }, this.name);
  }
  backward(c: Ctx, { xs, dxs, dy }: IO): void {
    if (dy === undefined) return;
    const f = this.dims.full, a = this.args(c);
    if (dxs[f] !== undefined) c.emit('mul_bcast_bwd_x', { dx: dxs[f]!, dy, g: xs[1 - f], ...a }, this.name);
    if (dxs[1 - f] !== undefined) c.emit('mul_bcast_bwd_g', { dg: dxs[1 - f]!, dy, x: xs[f], ...a }, this.name);
  }
  config(): Record<string, unknown> { return {}; }
}
