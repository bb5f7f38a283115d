// LayerNormalization over the last axis (PyTorch nn.LayerNorm(C) / Keras LayerNormalization(axis=-1)):
// each position's C features normalized by their own mean and biased variance, then scaled and
// shifted (weight, bias: PyTorch's names; affine: false leaves them out). eps default 1e-5 (PyTorch's).
// Works on any per-sample shape [..., C] (tokens × features included); kernels in assembly/kernels/layernorm.ts.
import { AxonError } from '../errors.js';
import { Ctx, IO, Layer, size } from './layer.js';
import { registerLayerTypes } from './families.js';

export interface LayerNormOptions { eps?: number; affine?: boolean; name?: string; trainable?: boolean }

export class LayerNormalization extends Layer {
  readonly type = 'layerNormalization';
  readonly eps: number;
  readonly affine: boolean;
  constructor(opts: LayerNormOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    if (!(typeof this.eps === 'number' && this.eps > 0 && Number.isFinite(this.eps))) throw new AxonError('BAD_CONFIG', `LayerNormalization: eps must be a positive number, got ${opts.eps}`);
    if (opts.name) this.name = opts.name;
    if (opts.trainable === false) this.trainable = false;
  }

  build(s: number[]): number[] {
    const C = s[s.length - 1], f = { fanIn: C, fanOut: C };
    this.inputShape = s;
    this.params = this.affine ? [
      { name: 'weight', shape: [C], init: 'ones', fans: f, trainable: true, regularize: false },
      { name: 'bias', shape: [C], init: 'zeros', fans: f, trainable: true, regularize: false },
    ] : [];
    return (this.outputShape = s);
  }

  private dims(c: Ctx) { const C = this.inputShape[this.inputShape.length - 1]; return { M: c.batch * (size(this.inputShape) / C), C }; }
  /** weight and bias, or constant ones and zeros without affine */
  private affineBufs(c: Ctx, C: number): [number, number] {
    if (this.affine) return [c.param('weight'), c.param('bias')];
    return [c.constant('ones', 'f32', new Float32Array(C).fill(1).buffer), c.constant('zeros', 'f32', new Float32Array(C).buffer)];
  }

  forward(c: Ctx, { x, y }: IO): void {
    const { M, C } = this.dims(c), [gamma, beta] = this.affineBufs(c, C);
    const per = size(this.inputShape) / C;
    c.emit('layernorm_fwd', { y, mean: c.aux('mean', 'f32', per), invstd: c.aux('invstd', 'f32', per), x, gamma, beta, M, C, eps: this.eps });
  }

  backward(c: Ctx, { x, dx, dy }: IO): void {
    if (dy === undefined) return;
    const { M, C } = this.dims(c), per = size(this.inputShape) / C, [gamma] = this.affineBufs(c, C);
    const dg = this.affine ? c.grad('weight') : undefined, db = this.affine ? c.grad('bias') : undefined;
    if (dx === undefined && dg === undefined) return;
    // (outputs nobody reads still get written: zeroed first so they never grow to Inf)
    const sink = (b: number, n: number) => { c.emit('fill', { y: b, v: 0, n }); return b; };
    const dxb = dx ?? sink(c.aux('unused_dx', 'f32', size(this.inputShape)), M * C);
    c.emit('layernorm_bwd', { dx: dxb, dgamma: dg ?? sink(c.fixed('unused_dgamma', 'f32', C), C), dbeta: db ?? sink(c.fixed('unused_dbeta', 'f32', C), C), dy, x, mean: c.aux('mean', 'f32', per), invstd: c.aux('invstd', 'f32', per), gamma, M, C });
  }

  config(): Record<string, unknown> { return { eps: this.eps, ...(this.affine ? {} : { affine: false }) }; }
}

registerLayerTypes({ layerNormalization: (c) => new LayerNormalization(c as LayerNormOptions) });   // (families.ts)
