// Parameter-free layers that move values: each sample's output is a list of runs copied from its
// input or filled with a constant (assembly/kernels/layout.ts gather_runs; the backward scatter-adds).
//   Pad2D: pads (H, W, C) spatially with a constant value, by reflection (no edge repeat, as
//          numpy/ONNX/PyTorch 'reflect') or by repeating the edge ('edge' = PyTorch 'replicate');
//          `channels` [before, after] pads the channel axis too (in the same mode).
//   Slice: keeps a list of indices per axis (crops, strided and reversed slices, gathers; an index
//          may repeat). Dropping an axis is a Reshape after it.
import { AxonError } from '../errors.js';
import { Ctx, IO, Layer, size } from './layer.js';

/** Compresses per-element sources (-1: the fill value) into (src, len) runs. */
function toRuns(src: Int32Array): Int32Array {
  const r: number[] = [];
  for (let j = 0; j < src.length; j++) {
    const s = src[j], k = r.length - 2;
    if (k >= 0 && ((s < 0 && r[k] < 0) || (s >= 0 && r[k] >= 0 && r[k] + r[k + 1] === s))) r[k + 1]++;
    else r.push(s < 0 ? -1 : s, 1);
  }
  return Int32Array.from(r);
}

abstract class RunsLayer extends Layer {
  private sources?: () => Int32Array;
  private made?: Int32Array;
  protected fill = 0;
  /**
   * Sets shapes, and how to list the per-element sources of the output (flat per-sample input
   * indices, -1 = fill). The list is made when a plan first needs it, not at build: a loader checks
   * the built output's size against its limits first (a hostile Pad would otherwise allocate here).
   */
  protected setSources(inputShape: number[], outputShape: number[], sources: () => Int32Array): number[] {
    this.inputShape = inputShape;
    this.sources = sources;
    this.made = undefined;
    return (this.outputShape = outputShape);
  }
  private get runs(): Int32Array { return (this.made ??= toRuns(this.sources!())); }
  private args(c: Ctx) {
    const runs = this.runs;
    return { runs: c.constant('runs', 'i32', runs.slice().buffer as ArrayBuffer), N: c.batch, S: size(this.inputShape), J: size(this.outputShape), R: runs.length / 2 };
  }
  forward(c: Ctx, { x, y }: IO): void { c.emit('gather_runs_fwd', { y, x, ...this.args(c), value: this.fill }); }
  backward(c: Ctx, { dx, dy }: IO): void { if (dx !== undefined && dy !== undefined) c.emit('gather_runs_bwd', { dx, dy, ...this.args(c) }); }
}

export type PadMode = 'constant' | 'reflect' | 'edge';
export interface Pad2DOptions { padding?: number | [number, number] | [number, number, number, number]; /** [before, after] on the channel axis; default [0, 0] */ channels?: [number, number]; mode?: PadMode; value?: number; name?: string }

/** Spatial padding of (H, W, C): [top, left, bottom, right]. */
export class Pad2D extends RunsLayer {
  readonly type = 'pad2d';
  readonly pads: [number, number, number, number];
  readonly channels: [number, number];
  readonly mode: PadMode;
  readonly value: number;
  constructor(opts: Pad2DOptions = {}) {
    super();
    const p = opts.padding ?? 1;
    this.pads = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : p;
    this.channels = opts.channels ?? [0, 0];
    this.mode = opts.mode ?? 'constant';
    this.value = this.fill = opts.value ?? 0;
    if (opts.name) this.name = opts.name;
    if (!this.pads.every((v) => Number.isInteger(v) && v >= 0)) throw new AxonError('BAD_CONFIG', `${this.name || 'Pad2D'}: padding must be non-negative integers, got ${JSON.stringify(p)}`);
    if (this.channels.length !== 2 || !this.channels.every((v) => Number.isInteger(v) && v >= 0)) throw new AxonError('BAD_CONFIG', `${this.name || 'Pad2D'}: channels must be [before, after] non-negative integers, got ${JSON.stringify(opts.channels)}`);
    if (!['constant', 'reflect', 'edge'].includes(this.mode)) throw new AxonError('BAD_CONFIG', `${this.name || 'Pad2D'}: mode must be 'constant', 'reflect' or 'edge', got ${JSON.stringify(opts.mode)}`);
    if (!Number.isFinite(this.value)) throw new AxonError('BAD_CONFIG', `${this.name || 'Pad2D'}: value must be a finite number, got ${opts.value}`);
  }
  build(s: number[]): number[] {
    if (s.length !== 3) throw new AxonError('BAD_SHAPE', `${this.name}: expects [height, width, channels] per sample, got [${s}]`);
    const [H, W, C] = s, [t, l, b, r] = this.pads, [cb, ce] = this.channels, OH = H + t + b, OW = W + l + r, OC = C + cb + ce;
    if (this.mode === 'reflect' && (Math.max(t, b) >= H || Math.max(l, r) >= W || Math.max(cb, ce) >= C))
      throw new AxonError('BAD_SHAPE', `${this.name}: reflect padding [${this.pads}]${cb || ce ? ` (channels [${this.channels}])` : ''} must be smaller than the input's height ${H} and width ${W}${cb || ce ? ` (and channels ${C})` : ''}`);
    const at = (i: number, n: number) => (i >= 0 && i < n ? i : this.mode === 'constant' ? -1 : this.mode === 'edge' ? Math.min(n - 1, Math.max(0, i)) : i < 0 ? -i : 2 * (n - 1) - i);
    return this.setSources(s, [OH, OW, OC], () => {
      const src = new Int32Array(OH * OW * OC);
      for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
        const h = at(oh - t, H), w = at(ow - l, W);
        for (let oc = 0; oc < OC; oc++) { const c = at(oc - cb, C); src[(oh * OW + ow) * OC + oc] = h < 0 || w < 0 || c < 0 ? -1 : (h * W + w) * C + c; }
      }
      return src;
    });
  }
  config(): Record<string, unknown> { return { padding: this.pads, ...(this.channels.some((v) => v) ? { channels: this.channels } : {}), mode: this.mode, value: this.value }; }
}

/** Keeps, along each axis of the per-sample input, the listed indices in order (null: the whole axis). */
export class Slice extends RunsLayer {
  readonly type = 'slice';
  readonly indices: (number[] | null)[];
  constructor(opts: { indices: (number[] | null)[]; name?: string }) {
    super();
    this.indices = opts.indices;
    if (opts.name) this.name = opts.name;
    if (!Array.isArray(this.indices) || !this.indices.every((l) => l === null || (Array.isArray(l) && l.length > 0 && l.every((v) => Number.isInteger(v) && v >= 0))))
      throw new AxonError('BAD_CONFIG', `${this.name || 'Slice'}: indices must be one non-empty list of non-negative integers (or null) per axis, got ${JSON.stringify(opts.indices)?.slice(0, 60)}`);
  }
  build(s: number[]): number[] {
    const L = this.indices;
    if (L.length !== s.length) throw new AxonError('BAD_SHAPE', `${this.name}: ${L.length} index lists for an input of shape [${s}]`);
    L.forEach((l, a) => { if (l && l.some((v) => v >= s[a])) throw new AxonError('BAD_SHAPE', `${this.name}: index ${Math.max(...l)} is out of range for axis ${a} of [${s}]`); });
    const lists = L.map((l, a) => l ?? Array.from({ length: s[a] }, (_, i) => i)), out = lists.map((l) => l.length);
    return this.setSources(s, out, () => {
      const st = s.map((_, a) => size(s.slice(a + 1))), src = new Int32Array(size(out)), m = out.map(() => 0);
      for (let j = 0; j < src.length; j++) {
        src[j] = m.reduce((acc, v, a) => acc + lists[a][v] * st[a], 0);
        for (let a = m.length - 1; a >= 0 && ++m[a] === out[a]; a--) m[a] = 0;
      }
      return src;
    });
  }
  config(): Record<string, unknown> { return { indices: this.indices }; }
}
