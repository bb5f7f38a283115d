// BatchNormalization over the last axis (channels last: per feature for Dense outputs, per channel
// for conv outputs), PyTorch semantics: normalize with the batch's biased variance, update running
// statistics as running = (1 - momentum) running + momentum batch with the UNBIASED variance
// (momentum 0.1, eps 1e-5 by default). A frozen layer (trainable = false) runs in inference mode
// also while training, as Keras does for fine-tuning. A `fixed` layer holds exact per-channel
// constants (an importer's y = x * scale + shift): it is never trained, and unfreeze() leaves it frozen.
import { AxonError } from '../errors.js';
import { Ctx, IO, Layer, size } from './layer.js';

export interface BatchNormOptions {
  momentum?: number; eps?: number; name?: string; trainable?: boolean;
  /** exact per-channel constants, never trained (implies trainable = false; saved in the model file) */
  fixed?: boolean;
}

export class BatchNormalization extends Layer {
  readonly type = 'batchNormalization';
  readonly momentum: number;
  readonly eps: number;
  /** exact per-channel constants: frozen for good (see the header) */
  fixed: boolean;
  constructor(opts: BatchNormOptions = {}) {
    super();
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new AxonError('BAD_CONFIG', `BatchNormalization: momentum must be in [0, 1] (PyTorch convention: weight of the new batch; Keras' 0.99 is 0.01 here), got ${opts.momentum}`);
    if (!(this.eps > 0)) throw new AxonError('BAD_CONFIG', `BatchNormalization: eps must be positive, got ${opts.eps}`);
    if (opts.name) this.name = opts.name;
    this.fixed = opts.fixed === true;
    if (opts.trainable === false || this.fixed) this.trainable = false;
  }
  build(s: number[]): number[] {
    const C = s[s.length - 1];
    const f = { fanIn: C, fanOut: C };
    this.inputShape = s;
    this.params = [
      { name: 'weight', shape: [C], init: 'ones', fans: f, trainable: true, regularize: false },
      { name: 'bias', shape: [C], init: 'zeros', fans: f, trainable: true, regularize: false },
      { name: 'running_mean', shape: [C], init: 'zeros', fans: f, trainable: false, regularize: false },
      { name: 'running_var', shape: [C], init: 'ones', fans: f, trainable: false, regularize: false },
    ];
    return (this.outputShape = s);
  }
  private mc(c: Ctx) { const C = this.inputShape[this.inputShape.length - 1]; return { M: (c.batch * size(this.inputShape)) / C, C }; }
  private get batchStats(): boolean { return this.trainable; }

  forward(c: Ctx, { x, y }: IO): void {
    const { M, C } = this.mc(c);
    const common = { y, x, gamma: c.param('weight'), beta: c.param('bias'), runMean: c.param('running_mean'), runVar: c.param('running_var'), M, C, eps: this.eps };
    if (c.training && this.batchStats) {
      c.emit('batchnorm_fwd_train', { ...common, saveMean: c.fixed('mean', 'f32', C), saveInvstd: c.fixed('invstd', 'f32', C), momentum: this.momentum });
    } else c.emit('batchnorm_fwd_eval', common);
  }

  backward(c: Ctx, { x, dx, dy }: IO): void {
    if (dy === undefined) return;
    const { M, C } = this.mc(c);
    const g = (k: string) => c.grad(k) ?? c.fixed(`unused_${k}`, 'f32', C);
    const out = { dx: dx ?? c.aux('unused_dx', 'f32', size(this.inputShape)), dgamma: g('weight'), dbeta: g('bias'), dy, x, gamma: c.param('weight'), M, C };
    if (this.batchStats) c.emit('batchnorm_bwd', { ...out, saveMean: c.fixed('mean', 'f32', C), saveInvstd: c.fixed('invstd', 'f32', C), scratch: c.scratch(2 * C) });
    else c.emit('batchnorm_bwd_eval', { ...out, runMean: c.param('running_mean'), runVar: c.param('running_var'), eps: this.eps });
  }
  config(): Record<string, unknown> { return { momentum: this.momentum, eps: this.eps, ...(this.fixed ? { fixed: true } : {}) }; }
}
