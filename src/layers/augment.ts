// Preprocessing layers for data augmentation (Keras-style): active only in training plans, where
// each draws from the model's seeded PRNG inside wasm (assembly/kernels/augment.ts); a copy at
// inference and evaluation. Images are per-sample [H, W, C] (or [H, W]), sequences [T, F] (or [T]).
// NOTE: backward passes dy straight through (dx += dy), exact for noise; sequence scaling multiplies
// by its saved factors. Geometric/photometric layers belong at the model's input, where no dx is
// needed; placed after trainable layers they give a straight-through estimate, not the exact gradient.
import { AxonError } from '../errors.js';
import { Ctx, IO, Layer, size } from './layer.js';
import { registerLayerTypes } from './families.js';

/** Shared shape rules and the inference / backward passes. */
abstract class Augmentation extends Layer {
  protected abstract readonly rank: 'image' | 'sequence' | 'any';
  build(inputShape: number[]): number[] {
    const r = inputShape.length;
    if (this.rank === 'image' && r !== 2 && r !== 3) throw new AxonError('BAD_SHAPE', `${this.name}: ${this.type} wants images [H, W, C] or [H, W] per sample, got [${inputShape}]`);
    if (this.rank === 'sequence' && r !== 1 && r !== 2) throw new AxonError('BAD_SHAPE', `${this.name}: ${this.type} wants sequences [T, F] or [T] per sample, got [${inputShape}]`);
    this.inputShape = inputShape;
    return (this.outputShape = inputShape);
  }
  /** Emits the training-time transform of x into y. */
  protected abstract augment(c: Ctx, io: IO): void;
  protected get active(): boolean { return true; }
  forward(c: Ctx, io: IO): void {
    if (c.training && this.active) this.augment(c, io);
    else c.emit('copy', { y: io.y, x: io.x, n: c.batch * size(this.inputShape) }, this.name);
  }
  backward(c: Ctx, { dx, dy }: IO): void {
    if (dx !== undefined && dy !== undefined) c.emit('axpy', { y: dx, x: dy, a: 1, n: c.batch * size(this.inputShape) }, this.name);
  }
  /** N, H, W, C of an image batch. */
  protected nhwc(c: Ctx): { N: number; H: number; W: number; C: number } {
    const [H, W, C = 1] = this.inputShape;
    return { N: c.batch, H, W, C };
  }
}

const check = (cond: boolean, layer: string, msg: string) => { if (!cond) throw new AxonError('BAD_CONFIG', `${layer}: ${msg}`); };
const nonNeg = (v: unknown) => typeof v === 'number' && v >= 0 && Number.isFinite(v);

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';
export interface RandomFlipOptions { mode?: FlipMode; name?: string }

/** Flips each image left-right and/or top-bottom with probability 1/2 (Keras RandomFlip; default both). */
export class RandomFlip extends Augmentation {
  readonly type = 'randomFlip';
  protected readonly rank = 'image';
  readonly mode: FlipMode;
  constructor(o: RandomFlipOptions = {}) {
    super();
    this.mode = o.mode ?? 'horizontal_and_vertical';
    check(['horizontal', 'vertical', 'horizontal_and_vertical'].includes(this.mode), 'RandomFlip', `mode must be "horizontal", "vertical" or "horizontal_and_vertical", got ${JSON.stringify(o.mode)}`);
    if (o.name) this.name = o.name;
  }
  protected augment(c: Ctx, { x, y }: IO): void {
    c.emit('random_flip', { y, x, state: c.rngState(), ...this.nhwc(c), flipH: this.mode === 'vertical' ? 0 : 1, flipV: this.mode === 'horizontal' ? 0 : 1 }, this.name);
  }
  config(): Record<string, unknown> { return { mode: this.mode }; }
}

export interface RandomTranslationOptions {
  /** Largest shift in pixels: one number for both axes or [rows, columns]. */
  maxShift?: number | [number, number];
  /** Keras style: largest shift as a fraction of the height / width (rounded to pixels). */
  heightFactor?: number;
  widthFactor?: number;
  name?: string;
}

/** Shifts each image by whole pixels, uniform in [-k, k] per axis; zeros shift in. */
export class RandomTranslation extends Augmentation {
  readonly type = 'randomTranslation';
  protected readonly rank = 'image';
  private shift: [number, number] = [0, 0];
  constructor(readonly opts: RandomTranslationOptions) {
    super();
    const { maxShift, heightFactor, widthFactor } = opts ?? {};
    const byFactor = heightFactor !== undefined || widthFactor !== undefined;
    check((maxShift !== undefined) !== byFactor, 'RandomTranslation', 'give either maxShift (pixels) or heightFactor/widthFactor (fractions of the size)');
    if (maxShift !== undefined) {
      const s = Array.isArray(maxShift) ? maxShift : [maxShift, maxShift];
      check(s.length === 2 && s.every((v) => Number.isInteger(v) && v >= 0), 'RandomTranslation', `maxShift must be a non-negative integer or [rows, columns], got ${JSON.stringify(maxShift)}`);
      this.shift = [s[0], s[1]];
    } else for (const v of [heightFactor, widthFactor]) check(v === undefined || (nonNeg(v) && v <= 1), 'RandomTranslation', `heightFactor/widthFactor must be in [0, 1], got ${v}`);
    if (opts.name) this.name = opts.name;
  }
  override build(inputShape: number[]): number[] {
    const out = super.build(inputShape);
    const { heightFactor: hf, widthFactor: wf } = this.opts;
    if (this.opts.maxShift === undefined) this.shift = [Math.round((hf ?? 0) * inputShape[0]), Math.round((wf ?? 0) * inputShape[1])];
    return out;
  }
  protected override get active(): boolean { return this.shift[0] > 0 || this.shift[1] > 0; }
  protected augment(c: Ctx, { x, y }: IO): void {
    c.emit('random_translate', { y, x, state: c.rngState(), ...this.nhwc(c), maxDy: this.shift[0], maxDx: this.shift[1] }, this.name);
  }
  config(): Record<string, unknown> { const { name: _n, ...o } = this.opts; return o; }
}

export interface RandomRotationOptions {
  /** Largest rotation in degrees (either way). */
  degrees?: number;
  /** Keras style: largest rotation as a fraction of a full turn (0.1 = ±36°). */
  factor?: number;
  name?: string;
}

/** Rotates each image about its centre by a uniform angle in ±degrees, bilinear, zeros outside. */
export class RandomRotation extends Augmentation {
  readonly type = 'randomRotation';
  protected readonly rank = 'image';
  readonly maxAngle: number;
  constructor(readonly opts: RandomRotationOptions) {
    super();
    const { degrees, factor } = opts ?? {};
    check((degrees === undefined) !== (factor === undefined), 'RandomRotation', 'give either degrees or factor (fraction of a full turn)');
    const deg = degrees ?? (factor ?? 0) * 360;
    check(nonNeg(deg) && deg <= 180, 'RandomRotation', `the largest rotation must be in [0, 180] degrees, got ${degrees ?? `factor ${factor}`}`);
    this.maxAngle = (deg * Math.PI) / 180;
    if (opts.name) this.name = opts.name;
  }
  protected override get active(): boolean { return this.maxAngle > 0; }
  protected augment(c: Ctx, { x, y }: IO): void {
    c.emit('random_rotate', { y, x, state: c.rngState(), ...this.nhwc(c), maxAngle: this.maxAngle }, this.name);
  }
  config(): Record<string, unknown> { const { name: _n, ...o } = this.opts; return o; }
}

export interface GaussianNoiseOptions { stddev: number; name?: string }

/** Adds zero-mean Gaussian noise of standard deviation `stddev` (Keras GaussianNoise); any shape. */
export class GaussianNoise extends Augmentation {
  readonly type = 'gaussianNoise';
  protected readonly rank = 'any';
  readonly stddev: number;
  constructor(o: GaussianNoiseOptions) {
    super();
    check(nonNeg(o?.stddev), 'GaussianNoise', `stddev must be a finite number >= 0, got ${o?.stddev}`);
    this.stddev = o.stddev;
    if (o.name) this.name = o.name;
  }
  protected override get active(): boolean { return this.stddev > 0; }
  protected augment(c: Ctx, { x, y }: IO): void {
    c.emit('gaussian_noise', { y, x, state: c.rngState(), n: c.batch * size(this.inputShape), std: this.stddev }, this.name);
  }
  config(): Record<string, unknown> { return { stddev: this.stddev }; }
}

export interface RandomBrightnessContrastOptions {
  /** Largest brightness shift, in input units: b uniform in [-brightness, brightness]. */
  brightness?: number;
  /** Largest contrast change: factor uniform in [1 - contrast, 1 + contrast], about each channel's mean. */
  contrast?: number;
  /** Clip the result to this range (e.g. [0, 1] for unnormalized images). */
  valueRange?: [number, number];
  name?: string;
}

/** Random brightness shift and contrast change per image (Keras RandomBrightness + RandomContrast). */
export class RandomBrightnessContrast extends Augmentation {
  readonly type = 'randomBrightnessContrast';
  protected readonly rank = 'image';
  readonly brightness: number;
  readonly contrast: number;
  readonly valueRange?: [number, number];
  constructor(o: RandomBrightnessContrastOptions) {
    super();
    this.brightness = o?.brightness ?? 0;
    this.contrast = o?.contrast ?? 0;
    check(nonNeg(this.brightness), 'RandomBrightnessContrast', `brightness must be a finite number >= 0, got ${o?.brightness}`);
    check(nonNeg(this.contrast) && this.contrast <= 1, 'RandomBrightnessContrast', `contrast must be in [0, 1], got ${o?.contrast}`);
    if (o.valueRange !== undefined) {
      const r = o.valueRange;
      check(Array.isArray(r) && r.length === 2 && r.every(Number.isFinite) && r[0] < r[1], 'RandomBrightnessContrast', `valueRange must be [low, high] with low < high, got ${JSON.stringify(r)}`);
      this.valueRange = [r[0], r[1]];
    }
    if (o.name) this.name = o.name;
  }
  protected override get active(): boolean { return this.brightness > 0 || this.contrast > 0; }
  protected augment(c: Ctx, { x, y }: IO): void {
    const [lo, hi] = this.valueRange ?? [-3.4e38, 3.4e38];
    const C = this.inputShape[2] ?? 1;
    c.emit('brightness_contrast', { y, m: c.aux('means', 'f32', C), x, state: c.rngState(), ...this.nhwc(c), maxDelta: this.brightness, maxContrast: this.contrast, lo, hi }, this.name);
  }
  config(): Record<string, unknown> { return { brightness: this.brightness, contrast: this.contrast, ...(this.valueRange ? { valueRange: this.valueRange } : {}) }; }
}

export interface SequenceJitterOptions {
  /** Standard deviation of the additive Gaussian noise (jitter). */
  stddev?: number;
  /** Standard deviation of the per-sample, per-feature scale factor around 1 (scaling). */
  scale?: number;
  name?: string;
}

/** Time-series augmentation (Um et al. 2017): scale each feature of a sample by 1 + scale·z, then add stddev·z noise. */
export class SequenceJitter extends Augmentation {
  readonly type = 'sequenceJitter';
  protected readonly rank = 'sequence';
  readonly stddev: number;
  readonly scale: number;
  constructor(o: SequenceJitterOptions) {
    super();
    this.stddev = o?.stddev ?? 0;
    this.scale = o?.scale ?? 0;
    check(nonNeg(this.stddev) && nonNeg(this.scale), 'SequenceJitter', `stddev and scale must be finite numbers >= 0, got ${o?.stddev}, ${o?.scale}`);
    if (o.name) this.name = o.name;
  }
  protected override get active(): boolean { return this.stddev > 0 || this.scale > 0; }
  private dims(c: Ctx) { const [T, F = 1] = this.inputShape; return { N: c.batch, T, F }; }
  protected augment(c: Ctx, { x, y }: IO): void {
    const d = this.dims(c), state = c.rngState();
    if (this.scale > 0) c.emit('seq_scale_fwd', { y, s: c.aux('scale', 'f32', d.F), x, state, ...d, sigma: this.scale }, this.name);
    if (this.stddev > 0) c.emit('gaussian_noise', { y, x: this.scale > 0 ? y : x, state, n: d.N * d.T * d.F, std: this.stddev }, this.name);
  }
  override backward(c: Ctx, io: IO): void {
    if (this.scale === 0 || io.dx === undefined || io.dy === undefined) return super.backward(c, io);
    c.emit('seq_scale_bwd', { dx: io.dx, dy: io.dy, s: c.aux('scale', 'f32', this.dims(c).F), ...this.dims(c) }, this.name);
  }
  config(): Record<string, unknown> { return { stddev: this.stddev, scale: this.scale }; }
}

registerLayerTypes({   // (families.ts)
  randomFlip: (c) => new RandomFlip(c as RandomFlipOptions),
  randomTranslation: (c) => new RandomTranslation(c as RandomTranslationOptions),
  randomRotation: (c) => new RandomRotation(c as RandomRotationOptions),
  gaussianNoise: (c) => new GaussianNoise(c as unknown as GaussianNoiseOptions),
  randomBrightnessContrast: (c) => new RandomBrightnessContrast(c as RandomBrightnessContrastOptions),
  sequenceJitter: (c) => new SequenceJitter(c as SequenceJitterOptions),
});
