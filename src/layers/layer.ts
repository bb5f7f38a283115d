// The layer contract. A layer declares its parameters when built, then emits plan instructions
// for its forward and backward passes through a compile context (src/model/compiler.ts).
// Shapes here are per sample (no batch axis); the context supplies the batch size.
import type { Buf } from '../compile/plan.js';
import type { Dtype } from '../ops.js';
import type { Init } from './init.js';
import { AxonError } from '../errors.js';

export interface ParamDef {
  name: string;                 // 'weight', 'bias', … (file key: `${layer}.${name}`)
  shape: number[];
  init: Init;
  fans: { fanIn: number; fanOut: number };
  /** false for statistics such as BatchNorm's running mean: saved, never optimized */
  trainable: boolean;
  /** L1/L2 apply to this parameter (weights, not biases) */
  regularize: boolean;
  /** element type in wasm memory and in the model file (default f32); int8 layers keep i8 weights and i32 biases */
  dtype?: ParamDtype;
  /** runs after the initializer (e.g. zeroing an embedding's padding row) */
  afterInit?: (w: Float32Array) => void;
}

export type ParamDtype = 'f32' | 'i8' | 'i32';
/** Parameter values by dtype: f32 → Float32Array, i8 → Int8Array, i32 → Int32Array. */
export type ParamData = Float32Array | Int8Array | Int32Array;

export interface Regularizer { l1?: number; l2?: number }

export interface Ctx {
  readonly batch: number;
  readonly training: boolean;
  emit(op: string, args: Record<string, number>, label?: string): void;
  param(name: string): Buf;
  /** gradient buffer of a parameter, or undefined when the layer is frozen */
  grad(name: string): Buf | undefined;
  /** per-layer working buffer of perSample elements per sample (allocated for the largest batch) */
  aux(key: string, dtype: Dtype, perSample: number): Buf;
  /** per-layer buffer of a fixed size (not per sample) */
  fixed(key: string, dtype: Dtype, count: number): Buf;
  /** the model's GEMM scratch, sized for this gemm */
  gemmScratch(M: number, N: number, K: number): Buf;
  /** the model's shared scratch, at least `floats` long (kernels that take a scratch argument) */
  scratch(floats: number): Buf;
  /** the model's PRNG state (dropout, augmentation) */
  rngState(): Buf;
  /** per-layer buffer whose contents are written once when the session is placed in memory (e.g. int8 parameter blocks) */
  constant(key: string, dtype: Dtype, data: ArrayBuffer): Buf;
}

/**
 * Buffers of one layer in one plan: input x, output y, and their gradients in training plans.
 * Merge layers (several inputs) read xs and write dxs; for other layers xs = [x] and dxs = [dx].
 */
export interface IO {
  x: Buf; y: Buf; dx?: Buf; dy?: Buf; xs: Buf[]; dxs: Array<Buf | undefined>;
  /** a layer with extraOutputs: output k's buffer (ys[0] = y) and its gradient (training plans) */
  ys: Buf[]; dys: Array<Buf | undefined>;
}

export abstract class Layer {
  abstract readonly type: string;
  name = '';
  trainable = true;
  inputShape: number[] = [];
  outputShape: number[] = [];
  params: ParamDef[] = [];
  regularizer?: Regularizer;
  /** per-sample shapes of outputs 1, 2, … of a layer with several (read as `layer:1`, …); outputShape is output 0 */
  extraOutputs: number[][] = [];
  /** a row's result depends on the other rows of the call (dynamic quantization's per-call range): predict never splits such a model's call unless asked */
  get perCall(): boolean { return false; }
  /** element type of the output buffer: int8 layers write 'i8' activations */
  outputDtype: 'f32' | 'i8' = 'f32';
  /** One-time work emitted into the session's prepare plan, run whenever parameters are written (e.g. packing int8 weights). */
  prepare?(c: Ctx): void;
  /** int8 layers: quantization parameters, saved in __metadata__.quant and passed back to the constructor as `quant`. */
  quantParams?(): Record<string, unknown>;

  /** Sets shapes and declares parameters; returns the per-sample output shape. */
  abstract build(inputShape: number[]): number[];
  /** Builds on the shapes of all inputs (a layer that reads several overrides it); returns output 0's shape. */
  buildAll(inputShapes: number[][]): number[] {
    if (inputShapes.length !== 1) throw new AxonError('BAD_CONFIG', `a ${this.type} layer reads one input, got ${inputShapes.length}; use a merge layer (add, concatenate) to combine several`);
    return this.build(inputShapes[0]);
  }
  /** The i32 values this layer accepts on input k (ids), or undefined when input k must be f32. */
  intInput(_k: number): [number, number] | undefined { return undefined; }
  abstract forward(c: Ctx, io: IO): void;
  /** dy → dx (only when io.dx is set) and parameter gradients (accumulated). */
  abstract backward(c: Ctx, io: IO): void;
  /** Constructor options that recreate this layer (saved in the model file). */
  abstract config(): Record<string, unknown>;
  /** Output buffer is the input buffer (reshapes): no copy, gradients alias too. */
  get aliasesInput(): boolean { return false; }
  /** Split into compile units (Dense with an activation → Dense + Activation). */
  expand(): Layer[] { return [this]; }
  get paramCount(): number { return this.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0); }
}

/**
 * A layer with several inputs (Add, Concatenate). A graph model builds it on all its input shapes;
 * `build(shape)` alone means a single input.
 */
export abstract class MergeLayer extends Layer {
  inputShapes: number[][] = [];
  abstract buildMerge(inputShapes: number[][]): number[];
  build(inputShape: number[]): number[] { return this.buildMerge([inputShape]); }
  override buildAll(inputShapes: number[][]): number[] { return this.buildMerge(inputShapes); }
}

/**
 * Output k >= 1 of a multi-output layer as a unit of its own (made by the unit graph, never saved):
 * its buffer is a view of the layer's output region k, its gradient a view of the layer's gradient.
 */
export class OutputTap extends Layer {
  readonly type = 'tap';
  constructor(name: string, readonly k: number, shape: number[]) { super(); this.name = name; this.inputShape = shape; this.outputShape = shape; }
  build(): number[] { return this.outputShape; }
  forward(): void {}
  backward(): void {}
  config(): Record<string, unknown> { return {}; }
}

/** Elements per sample of all of a unit's outputs (its output buffer holds them one region after another). */
export const outputSize = (u: Layer): number => size(u.outputShape) + u.extraOutputs.reduce((s, o) => s + size(o), 0);

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
