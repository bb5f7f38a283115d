// Streaming keyword spotting: microphone chunks of any size (e.g. 128-sample AudioWorklet frames)
// go into a ring buffer holding the model's window (e.g. 1 s at 16 kHz); every `hop` samples, once
// the window is full, the window is classified, and the last `smooth` score vectors are averaged
// (a posterior filter, as KWS systems do).
// Two modes, same scores to the bit (tested). 'incremental' (a model whose PCM goes into a
// melSpectrogram, with hop a multiple of its frameStep): each frame's features are computed once,
// when its samples are in (audio/frames.ts), and each prediction runs only the per-clip
// normalization and the layers after the front end, in the model's own session (its current
// weights, also after fit or setWeights). 'window': each prediction runs the whole model on the
// window (any PCM model; any hop). A hop that is not a multiple of frameStep falls back to
// 'window' rather than being refused: frames then start at other offsets in each window, so no
// frame could be reused, and a caller's hop keeps working; `mode` and `fallback` say which mode
// runs and why; `incremental: true` refuses the fallback. The default hop is window / 4, rounded
// down to a multiple of frameStep for a melSpectrogram model.
import { AxonError } from '../errors.js';
import type { Model } from '../model/model.js';
import { Tensor } from '../runtime/tensor.js';
import { FrameFeatures, findFrontEnd, toInt16 } from './frames.js';

export interface StreamOptions {
  /** samples between predictions (default window / 4, rounded down to a multiple of frameStep for a melSpectrogram model) */
  hop?: number;
  /** average the last k score vectors (default 1: none) */
  smooth?: number;
  /** class names (default the class index as text) */
  labels?: string[];
  /** true: frame-by-frame features or an error saying why not; false: whole-window recompute; default: incremental when possible */
  incremental?: boolean;
}

export interface Detection {
  /** end of the classified window, in samples since the stream began */
  end: number;
  /** smoothed class scores */
  scores: Float32Array;
  /** the top class and its smoothed score */
  label: string; index: number; score: number;
}

export class AudioStream {
  readonly window: number;
  readonly hop: number;
  /** 'incremental': each frame's features once, then the model after its front end; 'window': the whole model on each window */
  readonly mode: 'incremental' | 'window';
  /** why the stream runs in 'window' mode (undefined when incremental) */
  readonly fallback?: string;
  private readonly features?: FrameFeatures;
  private readonly ring: Float32Array;
  private readonly smooth: number;
  private readonly recent: Float32Array[] = [];
  private readonly int: boolean;
  private at = 0;           // samples written since the start
  private next: number;     // sample count at which the next prediction runs

  constructor(readonly model: Model, private readonly opts: StreamOptions = {}) {
    const inp = model.inputs;
    if (inp.length !== 1 || inp[0].shape.length !== 1 || !(Number(inp[0].shape[0]) > 0)) throw new AxonError('BAD_CONFIG', `AudioStream: the model must take one PCM input of shape [samples], got ${JSON.stringify(inp.map((i) => i.shape))}`);
    if (model.outputNames.length !== 1) throw new AxonError('BAD_CONFIG', `AudioStream: the model must have one output (its class scores), got ${model.outputNames.length}: ${model.outputNames.join(', ')}; stream a model whose only output is the scores (model.setOutputs([...]))`);
    this.window = Number(inp[0].shape[0]);
    this.int = inp[0].dtype === 'i32';
    const front = findFrontEnd(model), step = typeof front === 'string' ? 1 : front.mel.o.frameStep;
    this.hop = opts.hop ?? Math.max(step, Math.floor(this.window / 4 / step) * step);
    this.smooth = opts.smooth ?? 1;
    if (!(Number.isInteger(this.hop) && this.hop >= 1)) throw new AxonError('BAD_CONFIG', `AudioStream: hop must be a positive integer of samples, got ${opts.hop}`);
    if (!(Number.isInteger(this.smooth) && this.smooth >= 1)) throw new AxonError('BAD_CONFIG', `AudioStream: smooth must be a positive integer, got ${opts.smooth}`);
    if (opts.incremental !== undefined && typeof opts.incremental !== 'boolean') throw new AxonError('BAD_CONFIG', `AudioStream: incremental must be true or false, got ${opts.incremental}`);
    this.fallback = opts.incremental === false ? 'incremental: false' : typeof front === 'string' ? front
      : this.hop % step ? `hop ${this.hop} is not a multiple of frameStep ${step} (e.g. ${Math.max(step, Math.round(this.hop / step) * step)})` : undefined;
    if (opts.incremental && this.fallback) throw new AxonError('BAD_CONFIG', `AudioStream: cannot stream frame by frame: ${this.fallback}`);
    this.mode = this.fallback ? 'window' : 'incremental';
    if (typeof front !== 'string' && !this.fallback) this.features = new FrameFeatures(model, front, this.window);
    this.ring = new Float32Array(this.window);
    this.next = this.window;
  }

  /** Samples seen so far. */
  get samples(): number { return this.at; }

  /**
   * Appends a chunk (f32 in [-1, 1], or int16 values) and returns the detections whose windows
   * completed inside it, oldest first.
   */
  async push(chunk: Float32Array | Int16Array): Promise<Detection[]> {
    if (!(chunk instanceof Float32Array || chunk instanceof Int16Array)) throw new AxonError('BAD_DATA', 'AudioStream.push: a chunk must be a Float32Array or an Int16Array');
    const out: Detection[] = [];
    for (let k = 0; k < chunk.length;) {
      const take = Math.min(chunk.length - k, this.next - this.at);
      for (let j = 0; j < take; j++) {
        const v = chunk instanceof Int16Array ? chunk[k + j] / 32768 : chunk[k + j];
        if (!Number.isFinite(v)) throw new AxonError('NOT_FINITE', `AudioStream.push: sample ${this.at + j} is ${v}; microphone data must be finite`);
        this.ring[(this.at + j) % this.window] = v;
      }
      this.at += take; k += take;
      // (the next window's frames only: with a hop longer than the window some frames feed none)
      if (this.features) await this.features.advance(this.at, (this.next - this.window) / this.features.step, this.ring);
      if (this.at === this.next) { out.push(await this.classify()); this.next += this.hop; }
    }
    return out;
  }

  /** The window ending now, oldest sample first. */
  current(): Float32Array {
    const s = this.at % this.window, w = new Float32Array(this.window);
    w.set(this.ring.subarray(s)); w.set(this.ring.subarray(0, s), this.window - s);
    return w;
  }

  private async classify(): Promise<Detection> {
    const y = this.features ? await this.features.classify((this.at - this.window) / this.features.step) : await this.classifyWindow();
    this.recent.push(Float32Array.from(y));
    if (this.recent.length > this.smooth) this.recent.shift();
    const scores = new Float32Array(y.length);
    for (const r of this.recent) for (let c = 0; c < y.length; c++) scores[c] += r[c] / this.recent.length;
    let index = 0;
    for (let c = 1; c < scores.length; c++) if (scores[c] > scores[index]) index = c;
    return { end: this.at, scores, index, score: scores[index], label: this.opts.labels?.[index] ?? String(index) };
  }

  private async classifyWindow(): Promise<Float32Array> {
    const w = this.current();
    const x = this.int ? new Tensor(Int32Array.from(w, toInt16), [1, this.window]) : new Tensor(w, [1, this.window]);
    return (await this.model.predict(x)).data as Float32Array;
  }
}
