// Streaming keyword spotting: microphone chunks of any size (e.g. 128-sample AudioWorklet frames)
// go into a ring buffer holding the model's window (e.g. 1 s at 16 kHz); every `hop` samples, once
// the window is full, the window is unrolled and classified (front end + model in one plan call),
// and the last `smooth` score vectors are averaged (a posterior filter, as KWS systems do).
// NOTE: each prediction recomputes the window's features (the per-channel normalization reads the
// whole window); at hop = 250 ms that is 4 front-end passes per second.
import { AxonError } from '../errors.js';
import type { Model } from '../model/model.js';
import { Tensor } from '../runtime/tensor.js';

export interface StreamOptions {
  /** samples between predictions (default window / 4) */
  hop?: number;
  /** average the last k score vectors (default 1: none) */
  smooth?: number;
  /** class names (default the class index as text) */
  labels?: string[];
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
  private readonly ring: Float32Array;
  private readonly smooth: number;
  private readonly recent: Float32Array[] = [];
  private readonly int: boolean;
  private at = 0;           // samples written since the start
  private next: number;     // sample count at which the next prediction runs

  constructor(readonly model: Model, private readonly opts: StreamOptions = {}) {
    const inp = model.inputs;
    if (inp.length !== 1 || inp[0].shape.length !== 1 || !(Number(inp[0].shape[0]) > 0)) throw new AxonError('BAD_CONFIG', `AudioStream: the model must take one PCM input of shape [samples], got ${JSON.stringify(inp.map((i) => i.shape))}`);
    this.window = Number(inp[0].shape[0]);
    this.int = inp[0].dtype === 'i32';
    this.hop = opts.hop ?? Math.max(1, Math.floor(this.window / 4));
    this.smooth = opts.smooth ?? 1;
    if (!(Number.isInteger(this.hop) && this.hop >= 1)) throw new AxonError('BAD_CONFIG', `AudioStream: hop must be a positive integer of samples, got ${opts.hop}`);
    if (!(Number.isInteger(this.smooth) && this.smooth >= 1)) throw new AxonError('BAD_CONFIG', `AudioStream: smooth must be a positive integer, got ${opts.smooth}`);
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
    const w = this.current();
    const x = this.int ? new Tensor(Int32Array.from(w, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768)))), [1, this.window]) : new Tensor(w, [1, this.window]);
    const y = (await this.model.predict(x)).data as Float32Array;
    this.recent.push(Float32Array.from(y));
    if (this.recent.length > this.smooth) this.recent.shift();
    const scores = new Float32Array(y.length);
    for (const r of this.recent) for (let c = 0; c < y.length; c++) scores[c] += r[c] / this.recent.length;
    let index = 0;
    for (let c = 1; c < scores.length; c++) if (scores[c] > scores[index]) index = c;
    return { end: this.at, scores, index, score: scores[index], label: this.opts.labels?.[index] ?? String(index) };
  }
}
