// The importer's conversion state: constants, the current activation's layout (onnx_layout.ts),
// and the Axon layers emitted so far with their weights and wiring. Layers are built standalone
// while converting (so shapes are known and earlier layers can still absorb a following Add/Mul or
// a row permutation) and added to a Model at the end. The graph is walked in node order; before a
// node the converter loads the state of the activation it reads (`load`), after it saves the state
// of the node's output, so branches each carry their own layout. Folding into an earlier layer
// stops at a value several nodes read (the fence): the other readers need it unchanged.
import { DEFAULT_LIMITS, Limits, checkTensorSize, numel } from '../format/validate.js';
import { AxonError } from '../errors.js';
import { Layer, MergeLayer } from '../layers/layer.js';
import { Dense } from '../layers/dense.js';
import { Conv2D } from '../layers/conv.js';
import { BatchNormalization } from '../layers/norm.js';
import { LayerNormalization } from '../layers/layernorm.js';
import { Embedding } from '../layers/embedding.js';
import { Activation } from '../layers/activation.js';
import { Dropout, Flatten, Reshape } from '../layers/misc.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs, Const } from './onnx_graph.js';
import { Act, broadcastToAxon, channelsLastOrder, channelsLastShape, orderOf, perLastAxis, prod, sameOrder } from './onnx_layout.js';

/** An emitted layer: its weights, source node (sourceName), parameter sources, and the specs it reads (INPUT - k: model input k; `ports`: which output of each, default 0). */
export interface Spec { layer: Layer; w: Record<string, Float32Array>; node: string; origin: OnnxNode; from: Record<string, string>; inputs: number[]; ports?: number[] }
/** What a layer from node n is named after: the node's name, else its first output's. */
export const sourceName = (n: OnnxNode): string => n.name || n.output[0] || '';
/** The (first) model input in Spec.inputs; model input k is INPUT - k. */
export const INPUT = -1;

/** Where an activation stands: its layout, the spec whose buffer holds it, the layer folding may reach. */
export interface ValueState { act: Act; tip: Spec | null; cur: number; fence: number; batchAxis: number; /** which output of the spec (a recurrent layer's h_n: 1) */ port?: number; /** an i32 value (an integer graph input) */ int?: boolean }

/** Unsupported here: the message is reported with the node's label. */
export const unsupported = (msg: string): never => { throw new AxonError('UNSUPPORTED', msg); };

/**
 * Exact y = x * scale + shift per channel as a fixed BatchNormalization (var + eps = 1 exactly in
 * f32). NOTE: it must stay frozen (trained, it would normalize by batch statistics): `fixed` is
 * saved in the model file, and unfreeze() in model/transfer.ts leaves such layers frozen.
 */
export const AFFINE_EPS = 2 ** -10;

/** That BatchNormalization and its weights (named after its source node like every imported layer). */
export function affineLayer(scale: Float32Array, shift: Float32Array): { layer: BatchNormalization; w: Record<string, Float32Array> } {
  const C = scale.length, layer = new BatchNormalization({ eps: AFFINE_EPS, fixed: true });
  return { layer, w: { weight: scale, bias: shift, running_mean: new Float32Array(C), running_var: new Float32Array(C).fill(1 - AFFINE_EPS) } };
}

/**
 * Folds y = x * s + b per channel (s or b may be absent) into the weights of the Dense, Conv2D,
 * BatchNormalization, LayerNormalization or Embedding (no activation) that computes x; a layer without a
 * bias becomes the same layer with one. (An Embedding's rows take s and b: each output is one row, so the
 * fold is exact.)
 */
export function foldAffine(t: { layer: Layer; w: Record<string, Float32Array> }, chans: number, s?: Float32Array, b?: Float32Array): void {
  const l = t.layer;
  if (l instanceof Embedding) {
    const w = t.w.weight;
    for (let i = 0; i < w.length; i++) w[i] = w[i] * (s ? s[i % chans] : 1) + (b ? b[i % chans] : 0);
    return;
  }
  if (l instanceof BatchNormalization || l instanceof LayerNormalization) {
    if (s) for (let c = 0; c < chans; c++) { t.w.weight[c] *= s[c]; t.w.bias[c] *= s[c]; }
    if (b) for (let c = 0; c < chans; c++) t.w.bias[c] += b[c];
    return;
  }
  if (s) { for (let i = 0; i < t.w.weight.length; i++) t.w.weight[i] *= s[l instanceof Dense ? Math.floor(i / l.inputShape[l.inputShape.length - 1]) : i % chans]; if (t.w.bias) for (let c = 0; c < chans; c++) t.w.bias[c] *= s[c]; }
  if (b) {
    if (!t.w.bias) {   // the same layer with a bias
      const Ctor = l.constructor as new (o: Record<string, unknown>) => Layer;
      t.layer = new Ctor({ ...l.config(), useBias: true });
      t.layer.build(l.inputShape);
      t.w.bias = new Float32Array(chans);
    }
    for (let c = 0; c < chans; c++) t.w.bias[c] += b[c];
  }
}

export class Converter {
  readonly specs: Spec[] = [];
  /** resource limits: every layer's per-sample output is checked against maxTensorBytes as it is built */
  limits: Limits = DEFAULT_LIMITS;
  /** the spec whose output (possibly reshaped by aliasing layers) is the current activation */
  tip: Spec | null = null;
  /** the graph input's batch size when it is fixed (a Reshape may spell it out) */
  staticBatch?: number;
  /** a graph with a recurrent node: the batch axis of the ONNX activation is tracked (onnx_rnn.ts) */
  seq = false;
  /** where the batch axis sits in the full ONNX activation (act.onnx omits it); 0 except around recurrent nodes */
  batchAxis = 0;
  /** how many nodes (and graph outputs) read each value */
  used = new Map<string, number>();
  /** set by a handler whose activation output is not its first output (Y_h of a recurrent node) */
  next?: string;
  /** the spec whose output buffer holds the current activation (INPUT: the model input) */
  cur = INPUT;
  /** which output of spec `cur` holds the activation (0 but for a recurrent layer's final states) */
  port = 0;
  /** the activation is i32 (an integer graph input not yet cast) */
  int = false;
  /** specs at or before this index on the current path feed other readers too: no folding into them */
  fence = INPUT;
  /** the state of another activation by name (nodes reading several: recurrent initial states) */
  valueState: (name: string) => ValueState | undefined = () => undefined;
  /** further outputs of the node just converted (a recurrent node's Y_h / Y_c) and their states */
  produced: Array<[string, ValueState]> = [];
  constructor(public act: Act, readonly consts: Map<string, Const>) {}

  /** The state of the current activation (saved for the value a node writes). */
  state(): ValueState { return { act: this.act, tip: this.tip, cur: this.cur, fence: this.fence, batchAxis: this.batchAxis, port: this.port, ...(this.int ? { int: true } : {}) }; }

  /** Makes a value's state current; `shared`: other nodes read it too, so nothing may fold into its producers. */
  load(v: ValueState, shared: boolean): void {
    this.act = v.act; this.tip = shared ? null : v.tip; this.cur = v.cur; this.batchAxis = v.batchAxis; this.port = v.port ?? 0; this.int = !!v.int;
    this.fence = shared ? Math.max(v.fence, v.cur) : v.fence;
  }

  /** A merge layer (Add, Concatenate) reading several values' buffers; it becomes the current activation. */
  merge(layer: MergeLayer, ins: ValueState[], n: OnnxNode, act: Act): void {
    layer.buildMerge(ins.map((v) => v.act.axon));
    const s: Spec = { layer, w: {}, node: sourceName(n), origin: n, from: {}, inputs: ins.map((v) => v.cur), ports: ins.map((v) => v.port ?? 0) };
    this.specs.push(s);
    this.act = act; this.tip = s; this.cur = this.specs.length - 1; this.batchAxis = 0; this.port = 0; this.int = false;
    this.fence = Math.max(...ins.map((v) => v.fence));
  }

  isConst(name: string): boolean { return this.consts.has(name); }
  /** Constant input i of n (weights, shapes, bounds); `optional` returns undefined when absent. */
  c(n: OnnxNode, i: number, what: string, optional: true): Const | undefined;
  c(n: OnnxNode, i: number, what: string): Const;
  c(n: OnnxNode, i: number, what: string, optional = false): Const | undefined {
    const name = n.input[i];
    if (!name) return optional ? undefined : unsupported(`input ${i} (${what}) is missing`);
    return this.consts.get(name) ?? unsupported(`${what} "${name}" must be a constant (an initializer or Constant node), not computed at run time`);
  }

  emit(layer: Layer, w: Record<string, Float32Array>, n: OnnxNode, from: Record<string, string> = {}): Spec {
    layer.build(this.act.axon);
    checkTensorSize(this.limits, numel(layer.outputShape), 4, `its output [${layer.outputShape}] per sample`);
    const s: Spec = { layer, w, node: sourceName(n), origin: n, from, inputs: [this.cur], ports: [this.port] };
    this.specs.push(s);
    this.cur = this.specs.length - 1; this.port = 0; this.int = false;
    this.act = { ...this.act, axon: layer.outputShape };
    if (!layer.aliasesInput) this.tip = s;
    return s;
  }

  /** A layer reading the current activation and further values `more` (a recurrent layer's initial states); it becomes the current activation. */
  emitReading(layer: Layer, w: Record<string, Float32Array>, n: OnnxNode, from: Record<string, string>, more: ValueState[]): Spec {
    const ins = [this.state(), ...more];
    layer.buildAll(ins.map((v) => v.act.axon));
    const s: Spec = { layer, w, node: sourceName(n), origin: n, from, inputs: ins.map((v) => v.cur), ports: ins.map((v) => v.port ?? 0) };
    this.specs.push(s);
    this.cur = this.specs.length - 1; this.port = 0; this.tip = s;
    this.fence = Math.max(...ins.map((v) => v.fence));
    this.act = { ...this.act, axon: layer.outputShape };
    return s;
  }

  /** An Axon activation layer (elementwise or per row). */
  activation(n: OnnxNode, activation: ConstructorParameters<typeof Activation>[0]['activation'], alpha?: number): void {
    this.emit(new Activation({ activation, alpha }), {}, n);
  }

  /** Flat Axon data for Dense: a Flatten layer when the Axon shape still has several axes. */
  flatAxon(n: OnnxNode): void { if (this.act.axon.length > 1) this.emit(new Flatten(), {}, n); }

  /** Requires a channels-first ONNX activation (C, H, W) or (C, L) held channels-last; returns its ONNX shape. */
  channelsLast(n: OnnxNode, what: string): number[] {
    const a = this.act;
    if (a.onnx.length < 2 || a.onnx.length > 3) unsupported(`${what} expects (N, C, H, W) or (N, C, L) inputs, got [N, ${a.onnx}]`);
    if (!sameOrder(a.order, channelsLastOrder(a.onnx)))
      unsupported(`${what}: its input's layout cannot be mapped to Axon's channels-last layout (a Transpose or Reshape before it moved the channel axis)`);
    const want = channelsLastShape(a.onnx);
    if (a.axon.join() !== want.join()) this.emit(new Reshape({ targetShape: want }), {}, n);
    return a.onnx;
  }

  /** The activation after a reshape of the ONNX tensor to the per-sample shape s (same ONNX element order). */
  reshapeTo(n: OnnxNode, s: number[]): void {
    const a = this.act;
    if (prod(s) !== prod(a.onnx)) unsupported(`cannot reshape [${a.onnx}] to [${s}] per sample`);
    if (s.join() === a.onnx.join()) return;
    this.act = { ...a, onnx: s };
    if (s.length === 1) { this.flatAxon(n); return; }
    const want = channelsLastOrder(s);
    if (!sameOrder(a.order, want) && !this.permuteProducer(want)) return;   // keeps a non-canonical order; ops that need channels-last will say so
    this.act.order = want;
    if (this.act.axon.join() !== channelsLastShape(s).join()) this.emit(new Reshape({ targetShape: channelsLastShape(s) }), {}, n);
  }

  /**
   * Reorders the output features of the Dense layer that produced the current flat activation
   * (through elementwise layers) so that Axon element i holds ONNX element want[i].
   */
  private permuteProducer(want: Int32Array): boolean {
    let k = this.cur;
    const between: Spec[] = [];
    for (; k > this.fence && !(this.specs[k].layer instanceof Dense); k = this.specs[k].inputs[0]) {
      const l = this.specs[k].layer;
      if (!(l instanceof Activation || l instanceof Dropout || l instanceof BatchNormalization)) return false;
      between.push(this.specs[k]);
    }
    if (k <= this.fence) return false;
    const o = orderOf(this.act), inv = new Int32Array(o.length);
    o.forEach((v, i) => { inv[v] = i; });
    const src = Int32Array.from(want, (j) => inv[j]), d = this.specs[k], K = d.layer.inputShape[0], N = src.length;
    const w = d.w.weight, nw = new Float32Array(w.length);
    for (let i = 0; i < N; i++) nw.set(w.subarray(src[i] * K, src[i] * K + K), i * K);
    d.w.weight = nw;
    for (const s of [d, ...between]) for (const key of Object.keys(s.w)) if (key !== 'weight' || s !== d) s.w[key] = Float32Array.from(src, (j) => s.w[key][j]);
    return true;
  }

  /** y = x * scale + shift with constants broadcast against the activation (ONNX rules): folded into the producer when possible. */
  affine(n: OnnxNode, scale: Float32Array | null, shift: Float32Array | null): void {
    const t = this.tip, l = t?.layer;
    const chans = l instanceof Dense ? l.units : l instanceof Conv2D ? l.filters : l instanceof Embedding ? l.outputDim
      : l instanceof BatchNormalization || l instanceof LayerNormalization ? l.outputShape[l.outputShape.length - 1] : 0;
    const s = scale && chans ? perLastAxis(scale, chans) : undefined, b = shift && chans ? perLastAxis(shift, chans) : undefined;
    if (t && l && chans && (!scale || s) && (!shift || b)) {
      foldAffine(t, chans, s, b);
      // a bias the fold made (Conv / MatMul without one + Add) comes from the added constant
      if (shift && t.w.bias && !t.from.bias) { const c = n.input.find((i) => this.consts.has(i)); if (c) t.from.bias = c; }
      return;
    }
    const L = this.act.axon[this.act.axon.length - 1];
    const ps = scale ? perLastAxis(scale, L) : new Float32Array(L).fill(1), pb = shift ? perLastAxis(shift, L) : new Float32Array(L);
    if (!ps || !pb) unsupported('the constant varies along axes other than the channel axis; only per-channel and scalar constants are supported');
    const a = affineLayer(ps!, pb!);
    this.emit(a.layer, a.w, n);
  }

  /** A constant (ONNX broadcasting) as one value per Axon element. */
  broadcast(c: Const, what: string): Float32Array {
    return broadcastToAxon(c.dims, c.data, this.act) ?? unsupported(`${what} of shape [${c.dims}] does not broadcast against the input [N, ${this.act.onnx}]`);
  }
}

/** Begin and end pads per spatial axis (explicit pads or auto_pad). */
export function padsOf(a: Attrs, sp: number[], k: number[], s: number[], d: number[]): [number[], number[]] {
  const r = sp.length, auto = a.str('auto_pad', 'NOTSET');
  if (auto === 'VALID') return [Array(r).fill(0), Array(r).fill(0)];
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const tot = sp.map((h, i) => Math.max((Math.ceil(h / s[i]) - 1) * s[i] + d[i] * (k[i] - 1) + 1 - h, 0));
    const small = tot.map((t) => Math.floor(t / 2)), big = tot.map((t) => t - Math.floor(t / 2));
    return auto === 'SAME_UPPER' ? [small, big] : [big, small];
  }
  const p = a.ints('pads', Array(2 * r).fill(0));
  return [p.slice(0, r), p.slice(r)];
}

/** After a channels-last layer: the ONNX shape is (C, ...spatial) of the Axon (...spatial, C). */
export function spatialOut(cv: Converter): void {
  const ax = cv.act.axon, onnx = [ax[ax.length - 1], ...ax.slice(0, -1)];
  cv.act = { onnx, axon: ax, order: channelsLastOrder(onnx) };
}
