// Recurrent layers: SimpleRNN, LSTM and GRU over the time-major kernels of assembly/kernels/rnn.ts
// (the Bidirectional wrapper is in recurrent_bidirectional.ts).
// Per sample the input is [steps, features]: Keras' batch-major (N, T, I). The layer moves it to
// the kernels' (T, N, I) with transpose_01 and back (no move at batch 1, where both are the same).
// Parameters are PyTorch's, names and shapes: weight_ih (G·H, I), weight_hh (G·H, H), bias_ih,
// bias_hh (G·H), gates i, f, g, o (LSTM) and r, z, n (GRU, PyTorch's reset-after form), so a
// torch.nn.LSTM/GRU/RNN state_dict loads as it is (`weight_ih_l0` → `<layer>.weight_ih`).
// Inputs: the sequence, and optionally the initial states as further inputs (h0 (N, H), and c0 for
// the LSTM; zeros when absent), trained through (their gradients flow back to whatever computed
// them). Output: the last hidden state (N, H), or all of them (N, T, H) with returnSequences;
// with returnState also h_n and (LSTM) c_n as outputs `layer:1`, `layer:2` (Keras' return_state).
// NOTE: Keras' orthogonal recurrent initializer and unit forget bias are not available; the
// defaults are Glorot-uniform weights and zero biases.
import { AxonError } from '../errors.js';
import type { Buf } from '../compile/plan.js';
import { opByName, rnnScratchFloats } from '../ops.js';
import { Init } from './init.js';
import { Ctx, IO, Layer, ParamDef, Regularizer } from './layer.js';
import { timeMajor, batchMajor, strided } from './recurrent_layout.js';
import { registerLayerTypes } from './families.js';

export type CellType = 'simpleRnn' | 'lstm' | 'gru';
const CELLS = { simpleRnn: { code: 0, gates: 1, op: 'rnn' }, lstm: { code: 1, gates: 4, op: 'lstm' }, gru: { code: 2, gates: 3, op: 'gru' } } as const;

export interface RecurrentOptions {
  units: number;
  /** all hidden states (N, T, H) instead of the last one (N, H); default false */
  returnSequences?: boolean;
  /** also output the final states: h_n (`layer:1`) and, for the LSTM, c_n (`layer:2`); default false */
  returnState?: boolean;
  /** SimpleRNN's activation: only 'tanh' (the kernel's) */
  activation?: 'tanh';
  kernelInitializer?: Init;
  recurrentInitializer?: Init;
  biasInitializer?: Init;
  /** false: bias_hh stays zero and is not trained (Keras' LSTM and SimpleRNN have one bias); default true */
  recurrentBias?: boolean;
  /** L1/L2 on both weight matrices */
  kernelRegularizer?: Regularizer;
  name?: string;
  trainable?: boolean;
}

export class Recurrent extends Layer {
  readonly type: CellType;
  readonly units: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly opts: RecurrentOptions;
  /** the initial states read as inputs 1 (h0) and 2 (c0) */
  stateInputs = 0;
  steps = 0;
  features = 0;

  constructor(cell: CellType, opts: RecurrentOptions) {
    super();
    const who = opts.name ?? cell;
    if (!Number.isInteger(opts.units) || opts.units <= 0) throw new AxonError('BAD_CONFIG', `${who}: units must be a positive integer, got ${opts.units}`);
    if (opts.activation !== undefined && (cell !== 'simpleRnn' || opts.activation !== 'tanh'))
      throw new AxonError('BAD_CONFIG', `${who}: activation ${JSON.stringify(opts.activation)} is not supported; ${cell === 'simpleRnn' ? "SimpleRNN's kernel computes 'tanh'" : 'LSTM and GRU have fixed gate activations'}`);
    this.type = cell;
    this.opts = opts;
    this.units = opts.units;
    this.returnSequences = opts.returnSequences ?? false;
    this.returnState = opts.returnState ?? false;
    this.regularizer = opts.kernelRegularizer;
    if (opts.name) this.name = opts.name;
    if (opts.trainable === false) this.trainable = false;
  }

  get gates(): number { return CELLS[this.type].gates; }

  build(inputShape: number[]): number[] {
    if (inputShape.length !== 2) throw new AxonError('BAD_SHAPE', `${this.name}: ${this.type} expects inputs of shape [steps, features] per sample, got [${inputShape}]; add a Reshape layer (e.g. targetShape [steps, 1]) before it`);
    [this.steps, this.features] = inputShape;
    this.inputShape = inputShape;
    this.params = this.paramDefs('');
    this.extraOutputs = this.returnState ? (this.type === 'lstm' ? [[this.units], [this.units]] : [[this.units]]) : [];
    return (this.outputShape = this.returnSequences ? [this.steps, this.units] : [this.units]);
  }

  /** The sequence, then optionally h0 and (LSTM) c0, each [units] per sample. */
  override buildAll(shapes: number[][]): number[] {
    const most = this.type === 'lstm' ? 3 : 2;
    if (shapes.length < 1 || shapes.length > most) throw new AxonError('BAD_CONFIG', `${this.name}: a ${this.type} layer reads the sequence${this.type === 'lstm' ? ', then optionally h0 and c0' : ', then optionally h0'}; got ${shapes.length} inputs`);
    shapes.slice(1).forEach((s, k) => {
      if (s.length !== 1 || s[0] !== this.units) throw new AxonError('BAD_SHAPE', `${this.name}: initial state ${k ? 'c0' : 'h0'} must be [${this.units}] per sample, got [${s}]`);
    });
    this.stateInputs = shapes.length - 1;
    return this.build(shapes[0]);
  }

  /** The parameters of one direction; sfx '' or '_reverse' (PyTorch's name for the backward direction). */
  paramDefs(sfx: string): ParamDef[] {
    const H = this.units, GH = this.gates * H, I = this.features, o = this.opts;
    const def = (name: string, shape: number[], init: Init, fanIn: number, regularize: boolean, trainable = true): ParamDef =>
      ({ name: name + sfx, shape, init, fans: { fanIn, fanOut: GH }, trainable, regularize });
    return [
      def('weight_ih', [GH, I], o.kernelInitializer ?? 'glorotUniform', I, true),
      def('weight_hh', [GH, H], o.recurrentInitializer ?? 'glorotUniform', H, true),
      def('bias_ih', [GH], o.biasInitializer ?? 'zeros', I, false),
      o.recurrentBias === false ? def('bias_hh', [GH], 'zeros', H, false, false) : def('bias_hh', [GH], o.biasInitializer ?? 'zeros', H, false),
    ];
  }

  /** Emits one direction's forward over time-major xt (T, N, I); returns its hidden states (T, N, H). */
  fwdCore(c: Ctx, xt: Buf, sfx: string, st: States = {}): Buf {
    const cell = CELLS[this.type];
    emitOp(c, `${cell.op}_fwd`, (a) => (a === 'x' ? xt : (a === 'h0' || a === 'c0') && st[a] !== undefined ? st[a]! : this.common(c, a, sfx)));
    return this.common(c, 'hs', sfx);
  }

  /** Emits one direction's BPTT: dhs (T, N, H) → dxt (T, N, I) and parameter gradients, all accumulated. */
  bwdCore(c: Ctx, xt: Buf, dxt: Buf, dhs: Buf, sfx: string, st: States = {}): void {
    const sink = c.aux('dstate', 'f32', this.units);
    if (st.dh0 === undefined || (this.type === 'lstm' && st.dc0 === undefined)) c.emit('fill', { y: sink, v: 0, n: c.batch * this.units });
    const grad = (p: string) => {
      const g = c.grad(p + sfx);
      if (g !== undefined) return g;
      const n = this.params.find((q) => q.name === p)!.shape.reduce((a, b) => a * b, 1);
      const u = c.fixed(`unused_d${p}${sfx}`, 'f32', n);
      c.emit('fill', { y: u, v: 0, n });
      return u;
    };
    const named: Record<string, () => Buf> = {
      x: () => xt, dx: () => dxt, dhs: () => dhs, dh0: () => st.dh0 ?? sink, dc0: () => st.dc0 ?? sink, dcT: () => st.dcT ?? c.aux('zeros', 'f32', this.units),
      h0: () => st.h0 ?? this.common(c, 'h0', sfx), c0: () => st.c0 ?? this.common(c, 'c0', sfx),
      dw_ih: () => grad('weight_ih'), dw_hh: () => grad('weight_hh'), db_ih: () => grad('bias_ih'), db_hh: () => grad('bias_hh'),
    };
    emitOp(c, `${CELLS[this.type].op}_bwd`, (a) => named[a]?.() ?? this.common(c, a, sfx));
  }

  /** Arguments shared by forward and backward: saved states, weights, zero initial states, scratch, dims. */
  private common(c: Ctx, a: string, sfx: string): number {
    const T = this.steps, H = this.units, d = { T, N: c.batch, I: this.features, H };
    switch (a) {
      case 'hs': case 'cs': case 'hn': return c.aux(`${a}${sfx}`, 'f32', T * H);
      case 'gates': return c.aux(`gates${sfx}`, 'f32', T * this.gates * H);
      case 'h0': case 'c0': return c.aux('zeros', 'f32', H);
      case 'w_ih': case 'w_hh': return c.param(`weight_${a.slice(2)}${sfx}`);
      case 'b_ih': case 'b_hh': return c.param(`bias_${a.slice(2)}${sfx}`);
      case 'scratch': return c.scratch(rnnScratchFloats(CELLS[this.type].code, d));
      default: if (a in d) return d[a as keyof typeof d];
    }
    throw new Error(`internal: no recurrent argument ${a}`);
  }

  /** Whether backward has anything to compute. */
  hasBackward(c: Ctx, io: IO, sfxs: string[] = ['']): boolean {
    return io.dy !== undefined && (io.dx !== undefined || sfxs.some((s) => c.grad(`weight_ih${s}`) !== undefined));
  }

  /** The time-major dx accumulator: dx moved to (T, N, I) (batch 1: dx itself), or zeros when dx is not wanted. */
  dxStart(c: Ctx, dx: Buf | undefined): Buf {
    if (dx !== undefined) return timeMajor(c, dx, 'dxt', this.steps, this.features);
    const z = c.aux('dxt', 'f32', this.steps * this.features);
    c.emit('fill', { y: z, v: 0, n: c.batch * this.steps * this.features });
    return z;
  }
  dxFinish(c: Ctx, dx: Buf | undefined, dxt: Buf): void {
    if (dx !== undefined && dxt !== dx) c.emit('transpose_01', { y: dx, x: dxt, A: this.steps, B: c.batch, F: this.features });
  }

  forward(c: Ctx, io: IO): void {
    const { x, y, xs, ys } = io, T = this.steps, NH = c.batch * this.units;
    const hs = this.fwdCore(c, timeMajor(c, x, 'xt', T, this.features), '', { h0: xs[1], c0: xs[2] });
    if (this.returnSequences) batchMajor(c, y, hs, T, this.units);
    else strided(c, y, hs, 1, NH, NH, NH, 0, (T - 1) * NH);
    if (ys[1] !== undefined) strided(c, ys[1], hs, 1, NH, NH, NH, 0, (T - 1) * NH);
    if (ys[2] !== undefined) strided(c, ys[2], this.common(c, 'cs', ''), 1, NH, NH, NH, 0, (T - 1) * NH);
  }

  backward(c: Ctx, io: IO): void {
    const wantState = io.dxs.slice(1).some((d) => d !== undefined);
    if (!this.hasBackward(c, io) && !(io.dy !== undefined && wantState)) return;
    const { x, dx, dy, xs, dxs, dys } = io, T = this.steps, H = this.units, NH = c.batch * H;
    let dhs: Buf;
    if (this.returnSequences) dhs = timeMajor(c, dy!, 'dhs', T, H);
    else {
      dhs = c.aux('dhs', 'f32', T * H);
      c.emit('fill', { y: dhs, v: 0, n: T * NH });
      strided(c, dhs, dy!, 1, NH, NH, NH, (T - 1) * NH, 0);
    }
    if (dys[1] !== undefined) c.emit('add_strided', { y: dhs, x: dys[1], rows: 1, cols: NH, ldy: NH, ldx: NH, offy: (T - 1) * NH, offx: 0 });
    const dxt = this.dxStart(c, dx);
    this.bwdCore(c, timeMajor(c, x, 'xt', T, this.features, false), dxt, dhs, '', { h0: xs[1], c0: xs[2], dh0: dxs[1], dc0: dxs[2], dcT: dys[2] });
    this.dxFinish(c, dx, dxt);
  }

  config(): Record<string, unknown> {
    const { kernelInitializer, recurrentInitializer, biasInitializer } = this.opts;
    return {
      units: this.units, returnSequences: this.returnSequences, ...(this.returnState ? { returnState: true } : {}),
      ...(kernelInitializer ? { kernelInitializer } : {}), ...(recurrentInitializer ? { recurrentInitializer } : {}), ...(biasInitializer ? { biasInitializer } : {}),
      ...(this.regularizer ? { kernelRegularizer: this.regularizer } : {}), ...(this.opts.recurrentBias === false ? { recurrentBias: false } : {}),
    };
  }
}

/** Initial states read and their gradients (absent: zeros, and gradients dropped). */
export interface States { h0?: Buf; c0?: Buf; dh0?: Buf; dc0?: Buf; dcT?: Buf }

/** Emits op with every argument resolved by name. */
function emitOp(c: Ctx, op: string, arg: (name: string) => number): void {
  const args: Record<string, number> = {};
  for (const a of opByName(op).args) args[a.name] = arg(a.name);
  c.emit(op, args);
}

export class SimpleRNN extends Recurrent { constructor(o: RecurrentOptions) { super('simpleRnn', o); } }
export class LSTM extends Recurrent { constructor(o: RecurrentOptions) { super('lstm', o); } }
export class GRU extends Recurrent { constructor(o: RecurrentOptions) { super('gru', o); } }

registerLayerTypes({   // (families.ts)
  simpleRnn: (c) => new SimpleRNN(c as unknown as RecurrentOptions),
  lstm: (c) => new LSTM(c as unknown as RecurrentOptions),
  gru: (c) => new GRU(c as unknown as RecurrentOptions),
});
