// AttentionMemory: the key and value projections of a cross-attention, alone: memory [S, Dm] →
// keys K = mem Wk^T + bk (output 0) and values V = mem Wv^T + bv (output 1, read as `layer:1`),
// both [S, H·dh]. Its parameters are a multiHeadAttention's k_weight, k_bias, v_weight, v_bias
// (PyTorch layout, (out, in)), so a layer of the same name in another wiring of the model shares
// them with getWeights/setWeights: seq2seq decoding computes the memory's K/V once per source
// with this layer and feeds them to `multiHeadAttention({ cross: true, memoryKv: true })` at every
// step (src/text/seq2seq.ts). H·dh = numHeads × keyDim (default keyDim: the memory width / numHeads;
// multiHeadAttention's default is the query width / numHeads, the same in a Transformer decoder).
import { AxonError } from '../errors.js';
import type { Init } from './init.js';
import { Ctx, IO, Layer, ParamDef } from './layer.js';
import { linearBackward, linearForward } from './dense.js';
import { registerLayerTypes } from './families.js';

export interface AttentionMemoryOptions {
  numHeads: number;
  /** per-head width dh (default: the memory width / numHeads) */
  keyDim?: number;
  useBias?: boolean;
  kernelInitializer?: Init;
  name?: string;
  trainable?: boolean;
}

export class AttentionMemory extends Layer {
  readonly type = 'attentionMemory';
  readonly opts: AttentionMemoryOptions;
  S = 0; Dm = 0; E = 0;

  constructor(opts: AttentionMemoryOptions) {
    super();
    const who = opts.name ?? 'attentionMemory';
    if (!Number.isInteger(opts.numHeads) || opts.numHeads < 1) throw new AxonError('BAD_CONFIG', `${who}: numHeads must be a positive integer, got ${opts.numHeads}`);
    if (opts.keyDim !== undefined && !(Number.isInteger(opts.keyDim) && opts.keyDim > 0)) throw new AxonError('BAD_CONFIG', `${who}: keyDim must be a positive integer, got ${opts.keyDim}`);
    this.opts = opts;
    if (opts.name) this.name = opts.name;
    if (opts.trainable === false) this.trainable = false;
  }

  private get useBias(): boolean { return this.opts.useBias ?? true; }

  build(s: number[]): number[] {
    if (s.length !== 2) throw new AxonError('BAD_SHAPE', `${this.name}: the memory must be [steps, features] per sample, got [${s}]`);
    const H = this.opts.numHeads;
    if (this.opts.keyDim === undefined && s[1] % H !== 0) throw new AxonError('BAD_CONFIG', `${this.name}: the memory width ${s[1]} is not a multiple of numHeads ${H}; give keyDim`);
    [this.S, this.Dm] = s;
    this.E = H * (this.opts.keyDim ?? s[1] / H);
    const init = this.opts.kernelInitializer ?? 'glorotUniform', E = this.E, Dm = this.Dm;
    const w = (name: string): ParamDef => ({ name, shape: [E, Dm], init, fans: { fanIn: Dm, fanOut: E }, trainable: true, regularize: true });
    const b = (name: string): ParamDef => ({ name, shape: [E], init: 'zeros', fans: { fanIn: E, fanOut: E }, trainable: true, regularize: false });
    this.params = [w('k_weight'), w('v_weight'), ...(this.useBias ? [b('k_bias'), b('v_bias')] : [])];
    this.inputShape = s;
    this.extraOutputs = [[this.S, E]];
    return (this.outputShape = [this.S, E]);
  }

  forward(c: Ctx, { x, ys }: IO): void {
    for (const [y, p] of [[ys[0], 'k'], [ys[1], 'v']] as const)
      linearForward(c, y, x, c.param(`${p}_weight`), this.useBias ? c.param(`${p}_bias`) : undefined, c.batch * this.S, this.E, this.Dm);
  }

  backward(c: Ctx, { x, dx, dys }: IO): void {
    for (const [dy, p] of [[dys[0], 'k'], [dys[1], 'v']] as const) {
      if (dy === undefined) continue;
      linearBackward(c, dy, x, c.param(`${p}_weight`), { dw: c.grad(`${p}_weight`), db: this.useBias ? c.grad(`${p}_bias`) : undefined, dx }, c.batch * this.S, this.E, this.Dm);
    }
  }

  config(): Record<string, unknown> {
    const o = this.opts;
    return { numHeads: o.numHeads, ...(o.keyDim !== undefined ? { keyDim: o.keyDim } : {}), ...(o.useBias === false ? { useBias: false } : {}), ...(o.kernelInitializer ? { kernelInitializer: o.kernelInitializer } : {}) };
  }
}

registerLayerTypes({ attentionMemory: (c) => new AttentionMemory(c as unknown as AttentionMemoryOptions) });   // (families.ts)
