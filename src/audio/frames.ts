// AudioStream's incremental front end: when a model's PCM input goes (directly, or through a Cast
// or Dropout) into a melSpectrogram, each frame's features are computed once, as a batch of frames
// through a small front-end model (the same layers, the melSpectrogram without its per-clip
// normalization, on frameLength samples per row), and kept in a ring of the window's frames. A
// window's features are then the ring's frames in order, and the model's tail from the
// melSpectrogram (model/tail.ts: its normalization and the layers after it, in the model's own
// session) classifies them. Every front-end kernel computes each frame on its own (stft_power per
// frame, mel_project per row), so the features are bit-identical to the whole window's.
import { AxonError } from '../errors.js';
import { MelSpectrogram } from '../layers/audio.js';
import type { Layer } from '../layers/layer.js';
import { Model } from '../model/model.js';
import { ModelTail } from '../model/tail.js';
import type { Session } from '../model/compiler.js';
import { recreate } from '../model/wiring.js';

/** The model's melSpectrogram and the layers before it, or why the model cannot stream frame by frame. */
export function findFrontEnd(model: Model): { mel: MelSpectrogram; pre: Layer[] } | string {
  const m = model.layers.findIndex((l) => l instanceof MelSpectrogram);
  if (m < 0) return 'the model has no melSpectrogram layer';
  const chain = model.layers.slice(0, m + 1).every((l, i) => { const r = model.inputsOf(l.name); return r.length === 1 && r[0] === (i ? model.layers[i - 1].name : model.inputs[0].name); });
  const pre = model.layers.slice(0, m);
  if (!chain || !pre.every(elementwise)) return `the layers before melSpectrogram "${model.layers[m].name}" are not a chain of Cast or Dropout layers on the PCM (${pre.map((l) => l.type).join(', ')})`;
  return { mel: model.layers[m] as MelSpectrogram, pre };
}

/**
 * A layer each sample goes through on its own, to the same bits at any position (Cast; Dropout, the
 * identity when predicting). Not an Activation: a kernel's scalar tail could round otherwise than
 * its vector body, and a frame's samples sit at other offsets in a batch of frames.
 */
const elementwise = (l: Layer): boolean => l.params.length === 0 && (l.type === 'cast' || l.type === 'dropout');

/** per melSpectrogram layer, its front-end model (no weights: every stream of the model shares it) */
const fronts = new WeakMap<MelSpectrogram, Model>();

function frontEnd(model: Model, mel: MelSpectrogram, pre: Layer[]): Model {
  let front = fronts.get(mel);
  if (front) return front;
  const o = mel.o, inp = model.inputs[0];
  front = new Model({ inputs: [{ name: inp.name, shape: [o.frameLength], dtype: inp.dtype, ...(inp.range ? { range: [...inp.range] as [number, number] } : {}) }], engine: model.engine, name: `${model.name}/frames` });
  for (const l of pre) front.add(recreate(l));
  front.add(new MelSpectrogram({ ...o, normalize: false, name: mel.name }));
  fronts.set(mel, front);
  return front;
}

/** Per-frame features of a PCM stream, and a model's tail run on a window of them. */
export class FrameFeatures {
  readonly frames: number;
  readonly channels: number;
  readonly step: number;
  private readonly length: number;
  private readonly front: Model;
  private readonly tail: ModelTail;
  private readonly ring: Float32Array;
  private readonly int: boolean;
  private sess?: Session;
  /** frames computed so far (frame j starts at sample j * step) */
  private done = 0;

  constructor(model: Model, { mel, pre }: { mel: MelSpectrogram; pre: Layer[] }, window: number) {
    const o = mel.o, inp = model.inputs[0];
    this.frames = mel.frames(window); this.channels = mel.channels; this.step = o.frameStep; this.length = o.frameLength;
    this.int = inp.dtype === 'i32';
    this.front = frontEnd(model, mel, pre);
    this.tail = new ModelTail(model, mel.name, { tag: 'melSpectrogram.fromFeatures', emit: (c, io, u) => (u as MelSpectrogram).fromFeatures(c, io) });
    this.ring = new Float32Array(this.frames * this.channels);
  }

  /**
   * Computes the frames complete at `end` samples (skipping those before frame `first`), as one
   * batch; sample t (f32 in [-1, 1]) is pcm[t % pcm.length], held back to the first frame not yet computed.
   */
  async advance(end: number, first: number, pcm: Float32Array): Promise<void> {
    const from = Math.max(this.done, first), last = Math.floor((end - this.length) / this.step);
    if (last < from) return;
    const n = last - from + 1, L = this.length;
    if (n > this.frames) throw new AxonError('BAD_ARGUMENT', `FrameFeatures.advance: ${n} frames at once; the ring holds ${this.frames}`);
    // (the plan straight on the session's buffers: predict() would cost ~4x a frame's own compute)
    if (!this.sess || n > this.sess.spec.maxBatch) this.sess = await this.front.session(n, { use: 'predict' });
    const s = this.sess, x = this.int ? s.bound.i32(s.x) : s.bound.f32(s.x), R = pcm.length;
    for (let f = 0; f < n; f++) {
      const a = ((from + f) * this.step) % R, head = Math.min(L, R - a), row = x.subarray(f * L, (f + 1) * L);
      if (this.int) for (let k = 0; k < L; k++) row[k] = toInt16(pcm[(a + k) % R]);
      else { row.set(pcm.subarray(a, a + head)); row.set(pcm.subarray(0, L - head), head); }
    }
    s.run('predict', n);
    const y = s.bound.f32(s.output), C = this.channels;
    for (let f = 0; f < n; f++) this.ring.set(y.subarray(f * C, (f + 1) * C), ((from + f) % this.frames) * C);
    this.done = last + 1;
  }

  /** The model's first output for the window whose first frame is `first` (all its frames computed). */
  async classify(first: number): Promise<Float32Array> {
    if (first + this.frames > this.done) throw new AxonError('BAD_ARGUMENT', `FrameFeatures.classify: frames ${first} … ${first + this.frames - 1} asked for, ${this.done} computed`);
    const F = this.frames, C = this.channels, x = new Float32Array(F * C), s = (first % F) * C;
    x.set(this.ring.subarray(s)); x.set(this.ring.subarray(0, s), F * C - s);
    return (await this.tail.run(x))[0];
  }
}

/** An f32 sample as the int16 value a whole-window int PCM model is given. */
export const toInt16 = (v: number): number => Math.max(-32768, Math.min(32767, Math.round(v * 32768)));
