// int8 residual add: two int8 inputs of one shape, each with its own (calibrated) scale and zero
// point, requantized to the output's parameters; ReLU / ReLU6 can be fused into the clamp.
// Inference only (qs8_add, assembly/kernels/q8_add.ts); saved with { inputs: [a, b], output }.
import { AxonError } from '../errors.js';
import { q8AddParams } from '../ops.js';
import { Ctx, IO, MergeLayer, size } from '../layers/layer.js';
import { FUSED, FusedActivation, fusedClamp, parseQParams, QParams } from './scheme.js';

export interface QAddOptions {
  activation?: FusedActivation;
  name?: string;
  quant: { inputs: [QParams, QParams]; output: QParams };
}

export class QAdd extends MergeLayer {
  readonly type = 'qadd';
  override outputDtype = 'i8' as const;
  readonly activation: FusedActivation;
  readonly qin: [QParams, QParams];
  readonly qout: QParams;

  constructor(opts: QAddOptions) {
    super();
    this.trainable = false;
    const who = opts.name ?? 'QAdd';
    if (opts.name) this.name = opts.name;
    this.activation = opts.activation ?? 'linear';
    if (!FUSED.includes(this.activation)) throw new AxonError('BAD_CONFIG', `${who}: the int8 add fuses only linear, relu or relu6, got ${JSON.stringify(this.activation)}`);
    const ins = opts.quant?.inputs;
    if (!Array.isArray(ins) || ins.length !== 2) throw new AxonError('BAD_CONFIG', `${who}: quant.inputs must hold the two inputs' { scale, zeroPoint }, got ${JSON.stringify(ins)?.slice(0, 80)}`);
    this.qin = [parseQParams(ins[0], `${who} input 0`), parseQParams(ins[1], `${who} input 1`)];
    this.qout = parseQParams(opts.quant.output, `${who} output`);
  }

  buildMerge(shapes: number[][]): number[] {
    if (shapes.length !== 2) throw new AxonError('BAD_CONFIG', `${this.name}: the int8 add takes 2 inputs, got ${shapes.length}`);
    if (shapes[0].join() !== shapes[1].join()) throw new AxonError('BAD_SHAPE', `${this.name}: the int8 add needs inputs of one shape, got [${shapes[0]}] and [${shapes[1]}]`);
    this.inputShapes = shapes;
    this.inputShape = shapes[0];
    return (this.outputShape = shapes[0]);
  }

  forward(c: Ctx, { xs, y }: IO): void {
    const [a, b] = this.qin, [qmin, qmax] = fusedClamp(this.activation, this.qout);
    const qp = c.constant('qp', 'i32', q8AddParams({ za: a.zeroPoint, sa: a.scale, zb: b.zeroPoint, sb: b.scale, sy: this.qout.scale, zy: this.qout.zeroPoint, qmin, qmax }));
    c.emit('qs8_add', { y, a: xs[0], b: xs[1], qp, n: c.batch * size(this.outputShape) }, this.name);
  }
  backward(): void {}
  config(): Record<string, unknown> { return { activation: this.activation }; }
  override quantParams(): Record<string, unknown> { return { inputs: this.qin, output: this.qout }; }
}
