// Bidirectional wrapper (Keras' Bidirectional, PyTorch's bidirectional=True): the wrapped
// SimpleRNN/LSTM/GRU runs forward over the sequence and, with its own weights (PyTorch's
// `_reverse` names: weight_ih_reverse, …), over the time-reversed sequence (reverse_time); the two
// are merged by 'concat' (forward half first, as PyTorch and Keras) or 'sum'. With returnSequences
// the backward direction's states are reversed back so step t of both halves refers to input t;
// without it the output is each direction's final state (the backward one's is at input step 0).
import { AxonError } from '../errors.js';
import type { Buf } from '../compile/plan.js';
import { Ctx, IO, Layer } from './layer.js';
import { CellType, Recurrent, RecurrentOptions } from './recurrent.js';
import { timeMajor, batchMajor, strided } from './recurrent_layout.js';
import { registerLayerTypes } from './families.js';

export type MergeMode = 'concat' | 'sum';
export type RecurrentSpec = RecurrentOptions & { type: CellType };
export interface BidirectionalOptions { layer: Recurrent | RecurrentSpec; mergeMode?: MergeMode; name?: string; trainable?: boolean }

const REV = '_reverse';

export class Bidirectional extends Layer {
  readonly type = 'bidirectional';
  readonly layer: Recurrent;
  readonly mergeMode: MergeMode;

  constructor(opts: BidirectionalOptions) {
    super();
    const l = opts.layer;
    const cells: CellType[] = ['simpleRnn', 'lstm', 'gru'];
    if (l instanceof Recurrent) this.layer = l;
    else if (l && cells.includes(l.type)) { const { type, ...o } = l; this.layer = new Recurrent(type, o); }
    else throw new AxonError('BAD_CONFIG', `Bidirectional: layer must be a simpleRnn, lstm or gru layer (or its config with a "type"), got ${JSON.stringify(l && (l as { type?: unknown }).type)}`);
    this.mergeMode = opts.mergeMode ?? 'concat';
    if (this.mergeMode !== 'concat' && this.mergeMode !== 'sum') throw new AxonError('BAD_CONFIG', `Bidirectional: mergeMode must be 'concat' or 'sum', got ${JSON.stringify(opts.mergeMode)}`);
    if (opts.name) this.name = opts.name;
    if (opts.trainable === false || this.layer.trainable === false) this.trainable = false;
  }

  private get width(): number { return this.mergeMode === 'concat' ? 2 * this.layer.units : this.layer.units; }

  build(inputShape: number[]): number[] {
    this.layer.name = this.name;
    this.layer.build(inputShape);
    this.inputShape = inputShape;
    this.params = [...this.layer.paramDefs(''), ...this.layer.paramDefs(REV)];
    this.regularizer = this.layer.regularizer;
    return (this.outputShape = this.layer.returnSequences ? [this.layer.steps, this.width] : [this.width]);
  }

  forward(c: Ctx, { x, y }: IO): void {
    const L = this.layer, T = L.steps, H = L.units, W = this.width, N = c.batch, NH = N * H, last = (T - 1) * NH;
    const xt = timeMajor(c, x, 'xt', T, L.features);
    const xr = c.aux('xr', 'f32', T * L.features);
    c.emit('reverse_time', { y: xr, x: xt, T, F: N * L.features });
    const hf = L.fwdCore(c, xt, ''), hr = L.fwdCore(c, xr, REV);
    if (L.returnSequences) {
      const hb = c.aux('hb', 'f32', T * H), m = c.aux('merged', 'f32', T * W);
      c.emit('reverse_time', { y: hb, x: hr, T, F: NH });
      if (this.mergeMode === 'sum') c.emit('add', { y: m, a: hf, b: hb, n: T * NH });
      else { strided(c, m, hf, T * N, H, W, H, 0, 0); strided(c, m, hb, T * N, H, W, H, H, 0); }
      batchMajor(c, y, m, T, W);
    } else if (this.mergeMode === 'concat') {
      strided(c, y, hf, N, H, W, H, 0, last); strided(c, y, hr, N, H, W, H, H, last);
    } else {
      const hl = c.aux('last', 'f32', H);
      strided(c, y, hf, 1, NH, NH, NH, 0, last); strided(c, hl, hr, 1, NH, NH, NH, 0, last);
      c.emit('axpy', { y, x: hl, a: 1, n: NH });
    }
  }

  backward(c: Ctx, io: IO): void {
    const L = this.layer;
    if (!L.hasBackward(c, io, ['', REV])) return;
    const { x, dx } = io, dy = io.dy!, T = L.steps, H = L.units, W = this.width, N = c.batch, NH = N * H;
    const concat = this.mergeMode === 'concat';
    let dhf: Buf;
    const dhr = c.aux('dhs_reverse', 'f32', T * H);
    if (L.returnSequences) {
      const dyt = timeMajor(c, dy, 'dyt', T, W);
      if (concat) {
        const dhb = c.aux('dhb', 'f32', T * H);
        dhf = c.aux('dhs', 'f32', T * H);
        strided(c, dhf, dyt, T * N, H, H, W, 0, 0); strided(c, dhb, dyt, T * N, H, H, W, 0, H);
        c.emit('reverse_time', { y: dhr, x: dhb, T, F: NH });
      } else {
        dhf = dyt;
        c.emit('reverse_time', { y: dhr, x: dyt, T, F: NH });
      }
    } else {
      dhf = c.aux('dhs', 'f32', T * H);
      for (const [d, off] of [[dhf, 0], [dhr, concat ? H : 0]]) {
        c.emit('fill', { y: d, v: 0, n: T * NH });
        strided(c, d, dy, N, H, H, W, (T - 1) * NH, off);
      }
    }
    const xt = timeMajor(c, x, 'xt', T, L.features, false), xr = c.aux('xr', 'f32', T * L.features), dxr = c.aux('dxr', 'f32', T * L.features);
    const dxt = L.dxStart(c, dx), F = N * L.features;
    L.bwdCore(c, xt, dxt, dhf, '');
    c.emit('reverse_time', { y: dxr, x: dxt, T, F });
    L.bwdCore(c, xr, dxr, dhr, REV);
    if (dx === undefined) return;
    c.emit('reverse_time', { y: dxt, x: dxr, T, F });
    L.dxFinish(c, dx, dxt);
  }

  config(): Record<string, unknown> {
    return { layer: { type: this.layer.type, ...this.layer.config() }, mergeMode: this.mergeMode };
  }
}

registerLayerTypes({ bidirectional: (c) => new Bidirectional(c as unknown as BidirectionalOptions) });   // (families.ts)
