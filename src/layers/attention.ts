// MultiHeadAttention (Keras' MultiHeadAttention / PyTorch's nn.MultiheadAttention with batch_first):
// Q/K/V projections of the query (and key/value) sequence, scaled dot-product attention per head
// with an optional padding mask (an i32 input (Tk): 0 = padding) and causal mask, and the output
// projection back to the query's width. Inputs, in order: query [Tq, Dq]; with `cross`, the
// key/value sequence [Tk, Dkv]; with `mask`, the mask [Tk]. Heads are read in place (strided
// kernels, assembly/kernels/attention.ts): no transposes.
// With `cache` (incremental decoding, a KV cache carried the way recurrent layers carry states):
// inputs 1 and 2 are the past keys and values [Tpast, H·dh] (projected, as a previous step returned
// them), the step's keys/values are appended, and outputs `layer:1`, `layer:2` are the present keys
// and values [Tpast + Tq, H·dh]; the mask (if any) covers all Tpast + Tq keys, and the causal mask is
// aligned at the end (query i sees keys j <= Tpast + i). Open axes need length >= 1, so a first step
// feeds one placeholder past row with mask 0 (src/text/generate.ts does).
// With `cross` and `memoryKv` (seq2seq decoding, the memory's K/V cached once per source): inputs 1
// and 2 are the memory's keys and values already projected [S, H·dh] (an attentionMemory layer of
// the same name in another wiring computes them with this layer's k/v weights:
// src/layers/attention_memory.ts); the layer has only the query and output projections, and its
// backward passes dK, dV to inputs 1, 2. Parameters (PyTorch layout, (out, in)):
// q_weight, k_weight, v_weight (H·dh, D*), o_weight (Dq, H·dh) and their biases.
// `dropout` (training only): inverted dropout on the attention probabilities (PyTorch's dropout_p,
// Keras' dropout), P' = P ⊙ mask / (1 - rate) from the model's seeded PRNG; the context reads P', the
// backward takes dP = mask ⊙ dP' / (1 - rate) into the softmax backward, which reads the undropped P.
import { AxonError } from '../errors.js';
import type { Buf } from '../compile/plan.js';
import { Init } from './init.js';
import { Ctx, IO, Layer, ParamDef } from './layer.js';
import { registerLayerTypes } from './families.js';
import { linearBackward, linearForward } from './dense.js';

export interface MultiHeadAttentionOptions {
  numHeads: number;
  /** per-head width dh (default: the query width / numHeads) */
  keyDim?: number;
  /** attend to a second sequence (input 1) instead of the query itself */
  cross?: boolean;
  /** with cross: read the memory's projected keys and values [S, H·dh] as inputs 1, 2 (from attentionMemory) instead of the memory */
  memoryKv?: boolean;
  /** read a padding mask (an i32 input, 1 = token, 0 = padding) as the last input */
  mask?: boolean;
  /** position i attends only to positions j <= i (decoders) */
  causal?: boolean;
  /** read past keys and values as inputs 1, 2 and output the present ones as `layer:1`, `layer:2` (KV cache) */
  cache?: boolean;
  /** dropout rate on the attention probabilities in training (default 0) */
  dropout?: number;
  useBias?: boolean;
  kernelInitializer?: Init;
  name?: string;
  trainable?: boolean;
}

export class MultiHeadAttention extends Layer {
  readonly type: string = 'multiHeadAttention';
  readonly heads: number;
  readonly opts: MultiHeadAttentionOptions;
  dh = 0; Tq = 0; Tk = 0; Dq = 0; Dkv = 0;

  constructor(opts: MultiHeadAttentionOptions) {
    super();
    const who = opts.name ?? 'multiHeadAttention';
    if (!Number.isInteger(opts.numHeads) || opts.numHeads < 1) throw new AxonError('BAD_CONFIG', `${who}: numHeads must be a positive integer, got ${opts.numHeads}`);
    if (opts.cache && opts.cross) throw new AxonError('BAD_CONFIG', `${who}: cache is for self-attention; cross-attention caches its memory's keys and values with memoryKv (computed once by attentionMemory)`);
    if (opts.memoryKv && !opts.cross) throw new AxonError('BAD_CONFIG', `${who}: memoryKv reads a memory's projected keys and values, so it needs cross: true`);
    if (opts.dropout !== undefined && !(opts.dropout >= 0 && opts.dropout < 1)) throw new AxonError('BAD_CONFIG', `${who}: dropout must be in [0, 1), got ${opts.dropout}`);
    if (opts.keyDim !== undefined && !(Number.isInteger(opts.keyDim) && opts.keyDim > 0)) throw new AxonError('BAD_CONFIG', `${who}: keyDim must be a positive integer, got ${opts.keyDim}`);
    this.opts = opts;
    this.heads = opts.numHeads;
    if (opts.name) this.name = opts.name;
    if (opts.trainable === false) this.trainable = false;
  }

  get maskInput(): number { return this.opts.cross ? (this.opts.memoryKv ? 3 : 2) : this.opts.cache ? 3 : 1; }
  /** the projections this layer holds weights for (memoryKv: the memory's k and v live in attentionMemory) */
  get projections(): string[] { return this.opts.memoryKv ? ['q', 'o'] : ['q', 'k', 'v', 'o']; }
  /** past keys/values rows (cache) */
  Tpast = 0;
  override intInput(k: number): [number, number] | undefined { return this.opts.mask && k === this.maskInput ? [0, 1] : undefined; }

  build(s: number[]): number[] { return this.buildAll([s]); }

  override buildAll(shapes: number[][]): number[] {
    const o = this.opts, want = 1 + (o.cross ? (o.memoryKv ? 2 : 1) : 0) + (o.cache ? 2 : 0) + (o.mask ? 1 : 0);
    const what = `query${o.cross ? (o.memoryKv ? ', memory keys, memory values' : ', key/value sequence') : ''}${o.cache ? ', past keys, past values' : ''}${o.mask ? ', padding mask' : ''}`;
    if (shapes.length !== want) throw new AxonError('BAD_CONFIG', `${this.name}: reads ${want} input${want > 1 ? 's' : ''} (${what}), got ${shapes.length}`);
    const q = shapes[0], kv = o.cross ? shapes[1] : q;
    if (q.length !== 2 || kv.length !== 2) throw new AxonError('BAD_SHAPE', `${this.name}: sequences must be [steps, features] per sample, got [${q}]${o.cross ? ` and [${kv}]` : ''}`);
    [this.Tq, this.Dq] = q; [this.Tk, this.Dkv] = kv;
    const E0 = this.heads * (o.keyDim ?? this.Dq / this.heads);
    if (o.memoryKv && (shapes[2].length !== 2 || kv[1] !== E0 || shapes[2][1] !== E0 || kv[0] !== shapes[2][0]))
      throw new AxonError('BAD_SHAPE', `${this.name}: memory keys and values must both be [memory steps, ${E0}] per sample (heads × key width, as attentionMemory returns them), got [${kv}] and [${shapes[2]}]`);
    if (o.cache) {
      const [pk, pv] = [shapes[1], shapes[2]];
      if (pk.length !== 2 || pv.length !== 2 || pk[1] !== E0 || pv[1] !== E0 || pk[0] !== pv[0])
        throw new AxonError('BAD_SHAPE', `${this.name}: past keys and values must both be [steps, ${E0}] per sample (heads × key width), got [${pk}] and [${pv}]`);
      this.Tpast = pk[0];
      this.Tk = this.Tpast + this.Tq;
      this.extraOutputs = [[this.Tk, E0], [this.Tk, E0]];
    }
    if (this.opts.mask && (shapes[this.maskInput].length !== 1 || shapes[this.maskInput][0] !== this.Tk))
      throw new AxonError('BAD_SHAPE', `${this.name}: the mask must be [${this.Tk}] per sample (one flag per key position), got [${shapes[this.maskInput]}]`);
    if (this.opts.keyDim === undefined && this.Dq % this.heads !== 0) throw new AxonError('BAD_CONFIG', `${this.name}: the query width ${this.Dq} is not a multiple of numHeads ${this.heads}; give keyDim`);
    this.dh = this.opts.keyDim ?? this.Dq / this.heads;
    const E = this.heads * this.dh, init = this.opts.kernelInitializer ?? 'glorotUniform';
    const w = (name: string, out: number, inn: number): ParamDef => ({ name, shape: [out, inn], init, fans: { fanIn: inn, fanOut: out }, trainable: true, regularize: true });
    const bias = (name: string, n: number): ParamDef => ({ name, shape: [n], init: 'zeros', fans: { fanIn: n, fanOut: n }, trainable: true, regularize: false });
    const useBias = this.opts.useBias ?? true;
    const shape = { q: [E, this.Dq], k: [E, this.Dkv], v: [E, this.Dkv], o: [this.Dq, E] } as Record<string, [number, number]>;
    this.params = this.projections.map((p) => w(`${p}_weight`, ...shape[p]));
    if (useBias) this.params.push(...this.projections.map((p) => bias(`${p}_bias`, shape[p][0])));
    this.inputShape = q;
    return (this.outputShape = [this.Tq, this.Dq]);
  }

  protected get useBias(): boolean { return this.opts.useBias ?? true; }
  protected get E(): number { return this.heads * this.dh; }

  /** y (rows, N) = x (rows, K) W^T + b with projection p's parameters (the int8 variant overrides it: src/quant/qattention.ts) */
  protected linear(c: Ctx, y: Buf, x: Buf, p: string, rows: number, N: number, K: number): void {
    linearForward(c, y, x, c.param(`${p}_weight`), this.useBias ? c.param(`${p}_bias`) : undefined, rows, N, K);
  }
  /** dW += dy^T x, db += Σ dy, dx += dy W (dx when wanted) */
  private linearBack(c: Ctx, dy: Buf, x: Buf, dx: Buf | undefined, p: string, rows: number, N: number, K: number): void {
    linearBackward(c, dy, x, c.param(`${p}_weight`), { dw: c.grad(`${p}_weight`), db: this.useBias ? c.grad(`${p}_bias`) : undefined, dx }, rows, N, K);
  }

  private mask(c: Ctx, xs: Buf[]): { mask: Buf; hasMask: number } {
    if (this.opts.mask) return { mask: xs[this.maskInput], hasMask: 1 };
    return { mask: c.constant('no_mask', 'i32', new Int32Array(1).buffer), hasMask: 0 };
  }

  private dims(c: Ctx) { return { B: c.batch, H: this.heads, Tq: this.Tq, Tk: this.Tk, dh: this.dh }; }

  /** keys and values (B, Tk, E): the aux buffers, with a cache the present outputs (past rows, then the step's), with memoryKv inputs 1, 2 */
  private kv(c: Ctx, xs: Buf[], ys: Buf[]): [Buf, Buf] {
    if (this.opts.cache) return [ys[1], ys[2]];
    if (this.opts.memoryKv) return [xs[1], xs[2]];
    return [c.aux('k', 'f32', this.Tk * this.E), c.aux('v', 'f32', this.Tk * this.E)];
  }

  forward(c: Ctx, { xs, y, ys }: IO): void {
    const B = c.batch, E = this.E, xq = xs[0], xkv = this.opts.cross ? xs[1] : xs[0], d = this.dims(c);
    const q = c.aux('q', 'f32', this.Tq * E), [k, v] = this.kv(c, xs, ys);
    const p = c.aux('p', 'f32', this.heads * this.Tq * this.Tk), ctx = c.aux('ctx', 'f32', this.Tq * E);
    this.linear(c, q, xq, 'q', B * this.Tq, E, this.Dq);
    if (this.opts.cache) {
      const { Tq, Tpast, Tk } = this, step = c.aux('kv_step', 'f32', Tq * E);
      for (const [dst, past, w] of [[k, xs[1], 'k'], [v, xs[2], 'v']] as const) {
        c.emit('copy_strided', { y: dst, x: past, rows: B, cols: Tpast * E, ldy: Tk * E, ldx: Tpast * E, offy: 0, offx: 0 });
        this.linear(c, step, xq, w, B * Tq, E, this.Dq);
        c.emit('copy_strided', { y: dst, x: step, rows: B, cols: Tq * E, ldy: Tk * E, ldx: Tq * E, offy: Tpast * E, offx: 0 });
      }
    } else if (!this.opts.memoryKv) {
      this.linear(c, k, xkv, 'k', B * this.Tk, E, this.Dkv);
      this.linear(c, v, xkv, 'v', B * this.Tk, E, this.Dkv);
    }
    c.emit('attn_probs', { p, q, k, ...this.mask(c, xs), ...d, scale: 1 / Math.sqrt(this.dh), causal: this.opts.causal ? 1 : 0 });
    const pd = this.dropped(c);
    if (pd) c.emit('dropout_fwd', { y: pd.p, mask: pd.mask, x: p, state: c.rngState(), n: B * this.heads * this.Tq * this.Tk, p: this.opts.dropout! }, this.name);
    c.emit('attn_ctx', { o: ctx, p: pd?.p ?? p, c: v, ...d, alpha: 1, accumulate: 0 });
    this.linear(c, y, ctx, 'o', B * this.Tq, this.Dq, E);
  }

  /** With dropout in training: the dropped probabilities P' and the mask (aux buffers shared by forward and backward). */
  private dropped(c: Ctx): { p: Buf; mask: Buf } | undefined {
    if (!c.training || !this.opts.dropout) return undefined;
    const n = this.heads * this.Tq * this.Tk;
    return { p: c.aux('p_drop', 'f32', n), mask: c.aux('p_mask', 'f32', n) };
  }

  backward(c: Ctx, { xs, dxs, dy, ys, dys }: IO): void {
    if (dy === undefined) return;
    const B = c.batch, E = this.E, d = this.dims(c), cross = this.opts.cross === true;
    const xq = xs[0], xkv = cross ? xs[1] : xs[0], dxq = dxs[0], dxkv = cross ? dxs[1] : dxs[0];
    const q = c.aux('q', 'f32', this.Tq * E), [k, v] = this.kv(c, xs, ys), given = this.opts.memoryKv === true;
    const p = c.aux('p', 'f32', this.heads * this.Tq * this.Tk), ctx = c.aux('ctx', 'f32', this.Tq * E);
    const dctx = c.aux('dctx', 'f32', this.Tq * E), ds = c.aux('ds', 'f32', this.heads * this.Tq * this.Tk), dq = c.aux('dq', 'f32', this.Tq * E);
    // dK, dV: working buffers, or with memoryKv the given keys'/values' gradients (accumulated into; absent when nothing upstream trains)
    const [dk, dv] = given ? [dxs[1], dxs[2]] : [c.aux('dk', 'f32', this.Tk * E), c.aux('dv', 'f32', this.Tk * E)];
    const scale = 1 / Math.sqrt(this.dh), rowsQ = B * this.Tq, rowsK = B * this.Tk;
    // output projection: dctx = dy Wo (written)
    c.emit('fill', { y: dctx, v: 0, n: rowsQ * E });
    this.linearBack(c, dy, ctx, dctx, 'o', rowsQ, this.Dq, E);
    const pd = this.dropped(c), nP = B * this.heads * this.Tq * this.Tk;
    c.emit('attn_dot', { s: ds, a: dctx, c: v, B, H: this.heads, Ta: this.Tq, Tc: this.Tk, dh: this.dh });            // dP (dP' with dropout)
    if (!given) c.emit('fill', { y: dv!, v: 0, n: rowsK * E });
    if (dv) c.emit('attn_ctx_t', { o: dv, p: pd?.p ?? p, c: dctx, ...d, alpha: 1 });                                      // dV = P^T dctx
    let dp = ds;
    if (pd) {                                                                                                              // dP = mask ⊙ dP'
      dp = c.aux('dp_drop', 'f32', this.heads * this.Tq * this.Tk);
      c.emit('fill', { y: dp, v: 0, n: nP });
      c.emit('dropout_bwd', { dx: dp, dy: ds, mask: pd.mask, n: nP }, this.name);
    }
    c.emit('attn_softmax_bwd', { ds, dp, p, rows: B * this.heads * this.Tq, cols: this.Tk });                              // dS (in place)
    c.emit('attn_ctx', { o: dq, p: ds, c: k, ...d, alpha: scale, accumulate: 0 });                                        // dQ = scale dS K
    if (!given) c.emit('fill', { y: dk!, v: 0, n: rowsK * E });
    if (dk) c.emit('attn_ctx_t', { o: dk, p: ds, c: q, ...d, alpha: scale });                                             // dK = scale dS^T Q
    this.linearBack(c, dq, xq, dxq, 'q', rowsQ, E, this.Dq);
    if (given) return;
    if (this.opts.cache) { this.cacheBack(c, dk!, dys[1], dxs[1], xq, dxq, 'k'); this.cacheBack(c, dv!, dys[2], dxs[2], xq, dxq, 'v'); return; }
    this.linearBack(c, dk!, xkv, dxkv, 'k', rowsK, E, this.Dkv);
    this.linearBack(c, dv!, xkv, dxkv, 'v', rowsK, E, this.Dkv);
  }

  /** With a cache: dK (B, Tk, E) plus the present output's gradient, split into the past's rows and the step's (through its projection). */
  private cacheBack(c: Ctx, dk: Buf, dpresent: Buf | undefined, dpast: Buf | undefined, xq: Buf, dxq: Buf | undefined, w: string): void {
    const B = c.batch, E = this.E, { Tq, Tpast, Tk } = this, step = c.aux('kv_step', 'f32', Tq * E);
    if (dpresent !== undefined) c.emit('axpy', { y: dk, x: dpresent, a: 1, n: B * Tk * E });
    if (dpast !== undefined) c.emit('add_strided', { y: dpast, x: dk, rows: B, cols: Tpast * E, ldy: Tpast * E, ldx: Tk * E, offy: 0, offx: 0 });
    c.emit('copy_strided', { y: step, x: dk, rows: B, cols: Tq * E, ldy: Tq * E, ldx: Tk * E, offy: 0, offx: Tpast * E });
    this.linearBack(c, step, xq, dxq, w, B * Tq, E, this.Dq);
  }

  config(): Record<string, unknown> {
    const o = this.opts;
    return { numHeads: this.heads, ...(o.keyDim !== undefined ? { keyDim: o.keyDim } : {}), ...(o.cross ? { cross: true } : {}), ...(o.memoryKv ? { memoryKv: true } : {}), ...(o.mask ? { mask: true } : {}),
      ...(o.causal ? { causal: true } : {}), ...(o.cache ? { cache: true } : {}), ...(o.dropout ? { dropout: o.dropout } : {}), ...(o.useBias === false ? { useBias: false } : {}), ...(o.kernelInitializer ? { kernelInitializer: o.kernelInitializer } : {}) };
  }
}

registerLayerTypes({ multiHeadAttention: (c) => new MultiHeadAttention(c as unknown as MultiHeadAttentionOptions) });   // (families.ts)
