// Quantized GRU (inference): f32 in and out, int8 weights, dynamic activation quantization
// (assembly/kernels/q8_rnn.ts, op qs8_gru). The input matrix W_ih (3H, I) and the recurrent matrix
// W_hh (3H, H) are int8 symmetric per output row (ih_weight, hh_weight + .scale), packed once per
// session; the biases stay f32 (bias_ih, bias_hh), the gates run in f32. Each call quantizes the
// whole input sequence with its range, and each step the hidden state of the batch with its own.
// As GRU (src/layers/recurrent.ts): [steps, features] per sample, optional h0 as input 1, the last
// state or every state (returnSequences), h_n as output `layer:1` with returnState.
// NOTE: dynamic ranges are per batch, so a sample's result can depend (within int8 rounding) on
// the batch it runs in, as with QDenseDynamic.
import { AxonError } from '../errors.js';
import { q8GruScratchBytes, q8PackedBytes } from '../ops.js';
import { Ctx, IO } from '../layers/layer.js';
import { batchMajor, strided, timeMajor } from '../layers/recurrent_layout.js';
import { QLayer } from './layers.js';
import { packDynamic, weightParams } from './qdense.js';

export interface QGRUDynamicOptions { units: number; returnSequences?: boolean; returnState?: boolean; name?: string }

export class QGRUDynamic extends QLayer {
  readonly type = 'qgruDynamic';
  override get perCall(): boolean { return true; }
  readonly units: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  steps = 0;
  features = 0;
  private hasH0 = false;

  constructor(opts: QGRUDynamicOptions) {
    super(opts.name);
    const who = opts.name ?? 'QGRUDynamic';
    if (!Number.isInteger(opts.units) || opts.units <= 0) throw new AxonError('BAD_CONFIG', `${who}: units must be a positive integer, got ${opts.units}`);
    this.units = opts.units;
    this.returnSequences = opts.returnSequences ?? false;
    this.returnState = opts.returnState ?? false;
  }

  build(inputShape: number[]): number[] {
    if (inputShape.length !== 2) throw new AxonError('BAD_SHAPE', `${this.name}: QGRUDynamic expects inputs of shape [steps, features] per sample, got [${inputShape}]`);
    [this.steps, this.features] = inputShape;
    this.inputShape = inputShape;
    const G3 = 3 * this.units;
    this.params = [...weightParams(this, [G3, this.features], G3, 'ih_'), ...weightParams(this, [G3, this.units], G3, 'hh_'),
      this.qparam('bias_ih', [G3], 'f32'), this.qparam('bias_hh', [G3], 'f32')];
    this.extraOutputs = this.returnState ? [[this.units]] : [];
    return (this.outputShape = this.returnSequences ? [this.steps, this.units] : [this.units]);
  }

  /** The sequence, then optionally h0 ([units] per sample). */
  override buildAll(shapes: number[][]): number[] {
    if (shapes.length < 1 || shapes.length > 2) throw new AxonError('BAD_CONFIG', `${this.name}: a GRU reads the sequence, then optionally h0; got ${shapes.length} inputs`);
    if (shapes.length === 2 && (shapes[1].length !== 1 || shapes[1][0] !== this.units)) throw new AxonError('BAD_SHAPE', `${this.name}: initial state h0 must be [${this.units}] per sample, got [${shapes[1]}]`);
    this.hasH0 = shapes.length === 2;
    return this.build(shapes[0]);
  }

  override prepare(c: Ctx): void {
    packDynamic(c, 'ih_', 3 * this.units, this.features);
    packDynamic(c, 'hh_', 3 * this.units, this.units);
  }

  forward(c: Ctx, { x, y, xs, ys }: IO): void {
    const T = this.steps, I = this.features, H = this.units, N = c.batch, NH = N * H, G3 = 3 * H;
    const xt = timeMajor(c, x, 'xt', T, I), hs = c.aux('hs', 'f32', T * H);
    const h0 = this.hasH0 ? xs[1] : c.aux('zeros', 'f32', H);   // never written: zeros (as GRU's)
    c.emit('qs8_gru', {
      hs, x: xt, h0, wp_ih: c.fixed('ih_wp', 'u8', q8PackedBytes(G3, I)), wp_hh: c.fixed('hh_wp', 'u8', q8PackedBytes(G3, H)), b_ih: c.param('bias_ih'), b_hh: c.param('bias_hh'),
      scratch: c.fixed('scratch', 'u8', q8GruScratchBytes(T, N, I, H)), T, N, I, H,
    });
    if (this.returnSequences) batchMajor(c, y, hs, T, H);
    else strided(c, y, hs, 1, NH, NH, NH, 0, (T - 1) * NH);
    if (ys[1] !== undefined) strided(c, ys[1], hs, 1, NH, NH, NH, 0, (T - 1) * NH);
  }

  config(): Record<string, unknown> {
    return { units: this.units, returnSequences: this.returnSequences, ...(this.returnState ? { returnState: true } : {}) };
  }
}
