// Federated fine-tuning, the part client and server share: the parameter layout of a job (every
// f32 tensor of the model file, in file order, as one flat vector), updates as safetensors (a
// weight delta per tensor, f32 or int8 with a per-tensor scale, round and sample count in the
// metadata), their validation, and the server's aggregation step (FedAvg weighted by samples, with
// server momentum or FedAdam as options). No I/O here: the Durable Object and the client do that.
import { AxonError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, readAxonModelFile, type StTensorIn } from '../format/safetensors.js';

export interface ParamLayout { names: string[]; shapes: number[][]; offsets: number[]; total: number }
export type ServerOptimizer = 'fedavg' | 'fedavgm' | 'fedadam';
export interface ServerConfig {
  /** the server step (default 'fedavg'); fedavgm = server momentum, fedadam = Adam on the averaged delta */
  optimizer?: ServerOptimizer; lr?: number; momentum?: number; beta1?: number; beta2?: number; eps?: number;
}
export interface JobConfig {
  /** updates that close a round (default 10) */
  quorum?: number;
  /** a round also closes this long after it opened, if it has at least one update (ms; default 60,000) */
  deadlineMs?: number;
  /** rounds after which the job is finished (default 100) */
  rounds?: number;
  /** an update's L2 norm above this is scaled down to it (default 10) */
  clipNorm?: number;
  /** most samples one update may claim (default 1,000,000) */
  maxSamples?: number;
  server?: ServerConfig;
}
export type FullConfig = Required<Omit<JobConfig, 'server'>> & { server: Required<ServerConfig> };

const int = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
const num = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isFinite(x) && x >= lo && x <= hi;

/** The job config with defaults, checked (BAD_CONFIG naming the field). */
export function jobConfig(c: JobConfig = {}): FullConfig {
  const s = c.server ?? {};
  const out: FullConfig = {
    quorum: c.quorum ?? 10, deadlineMs: c.deadlineMs ?? 60_000, rounds: c.rounds ?? 100, clipNorm: c.clipNorm ?? 10, maxSamples: c.maxSamples ?? 1_000_000,
    server: { optimizer: s.optimizer ?? 'fedavg', lr: s.lr ?? (s.optimizer === 'fedadam' ? 0.01 : 1), momentum: s.momentum ?? 0.9, beta1: s.beta1 ?? 0.9, beta2: s.beta2 ?? 0.99, eps: s.eps ?? 1e-3 },
  };
  const bad = (f: string, want: string, got: unknown) => new AxonError('BAD_CONFIG', `federated job: ${f} must be ${want}, got ${JSON.stringify(got)}`);
  if (!int(out.quorum, 1, 100_000)) throw bad('quorum', 'an integer 1..100000', out.quorum);
  if (!int(out.deadlineMs, 1, 7 * 86_400_000)) throw bad('deadlineMs', 'an integer of milliseconds up to a week', out.deadlineMs);
  if (!int(out.rounds, 1, 1_000_000)) throw bad('rounds', 'a positive integer', out.rounds);
  if (!num(out.clipNorm, 1e-9, 1e9)) throw bad('clipNorm', 'a positive number', out.clipNorm);
  if (!int(out.maxSamples, 1, 1e12)) throw bad('maxSamples', 'a positive integer', out.maxSamples);
  if (!['fedavg', 'fedavgm', 'fedadam'].includes(out.server.optimizer)) throw bad('server.optimizer', '"fedavg", "fedavgm" or "fedadam"', out.server.optimizer);
  for (const k of ['lr', 'momentum', 'beta1', 'beta2', 'eps'] as const) if (!num(out.server[k], k === 'lr' || k === 'eps' ? 1e-12 : 0, k === 'lr' ? 100 : k === 'eps' ? 1 : 0.999999)) throw bad(`server.${k}`, 'a number in range', out.server[k]);
  return out;
}

/** A job's parameters and their initial values: every f32 tensor of the model file. */
export function layoutOf(modelFile: Uint8Array): { layout: ParamLayout; weights: Float32Array } {
  const f = readAxonModelFile(modelFile, 'federated model');
  const names: string[] = [], shapes: number[][] = [], offsets: number[] = [];
  let total = 0;
  for (const [name, t] of f.tensors) if (t.dtype === 'F32') { names.push(name); shapes.push(t.shape); offsets.push(total); total += t.data.length; }
  if (total === 0) throw new AxonError('UNSUPPORTED', 'federated model: the model file has no f32 tensors to fine-tune (all int8?); federate a model with f32 layers');
  const weights = new Float32Array(total);
  names.forEach((n, k) => weights.set(f.tensors.get(n)!.data as Float32Array, offsets[k]));
  return { layout: { names, shapes, offsets, total }, weights };
}

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Flat vector → safetensors (the weights a client pulls). */
export function encodeWeights(layout: ParamLayout, w: Float32Array, metadata: Record<string, string>): Uint8Array {
  const t: Record<string, StTensorIn> = {};
  layout.names.forEach((n, k) => { t[n] = { dtype: 'F32', shape: layout.shapes[k], data: w.subarray(layout.offsets[k], layout.offsets[k] + sizeOf(layout.shapes[k])) }; });
  return encodeSafetensors(t, metadata);
}

/** A client's update: per tensor, new − old weights; int8 = symmetric per-tensor scale (`name::scale`). */
export function encodeUpdate(layout: ParamLayout, delta: Float32Array, o: { round: number; samples: number; int8?: boolean }): Uint8Array {
  const t: Record<string, StTensorIn> = {};
  layout.names.forEach((n, k) => {
    const d = delta.subarray(layout.offsets[k], layout.offsets[k] + sizeOf(layout.shapes[k]));
    if (!o.int8) { t[n] = { dtype: 'F32', shape: layout.shapes[k], data: d }; return; }
    let m = 0;
    for (const v of d) m = Math.max(m, Math.abs(v));
    const scale = m > 0 ? m / 127 : 1, q = new Int8Array(d.length);
    for (let i = 0; i < d.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(d[i] / scale)));
    t[n] = { dtype: 'I8', shape: layout.shapes[k], data: q };
    t[`${n}::scale`] = { dtype: 'F32', shape: [1], data: Float32Array.of(scale) };
  });
  return encodeSafetensors(t, { round: String(o.round), samples: String(o.samples), format: 'axon-federated-update' });
}

/** Why an update is refused: HTTP status and message. */
export class UpdateError extends AxonError {
  constructor(readonly status: number, message: string) { super('BAD_DATA', message); }
}

/** The most bytes an update of this layout can take (int8 or f32, plus headers). */
export const maxUpdateBytes = (layout: ParamLayout) => layout.total * 4 + layout.names.length * 200 + 8192;

/**
 * A decoded, checked update: the delta as a flat vector, its round and sample count. Throws
 * UpdateError (400) for a malformed file, missing/extra/wrong-shape/wrong-dtype tensors, non-finite
 * values or a bad sample count. The round is the caller's to compare.
 */
export function decodeUpdate(layout: ParamLayout, bytes: Uint8Array, maxSamples: number): { delta: Float32Array; round: number; samples: number } {
  const bad = (m: string): never => { throw new UpdateError(400, m); };
  if (bytes.length > maxUpdateBytes(layout)) throw new UpdateError(413, `update is ${bytes.length} bytes, more than the ${maxUpdateBytes(layout)} an update of this model can take`);
  let dec;
  try { dec = decodeSafetensors(bytes, 'update'); } catch (e) { return bad(e instanceof Error ? e.message : String(e)); }
  const { tensors, metadata } = dec;
  const round = Number(metadata.round), samples = Number(metadata.samples);
  if (!Number.isSafeInteger(round) || round < 0) bad(`update metadata "round" must be a round number, got ${JSON.stringify(metadata.round)}`);
  if (!Number.isSafeInteger(samples) || samples < 1 || samples > maxSamples) bad(`update metadata "samples" must be an integer 1..${maxSamples}, got ${JSON.stringify(metadata.samples)}`);
  const known = new Set(layout.names.flatMap((n) => [n, `${n}::scale`]));
  for (const n of tensors.keys()) if (!known.has(n)) bad(`update has tensor "${n}", which the model does not`);
  const delta = new Float32Array(layout.total);
  layout.names.forEach((n, k) => {
    const t = tensors.get(n), shape = layout.shapes[k];
    if (!t) return bad(`update lacks tensor "${n}"`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) bad(`update tensor "${n}" has shape [${t.shape}], the model's is [${shape}]`);
    if (t.dtype === 'F32') delta.set(t.data as Float32Array, layout.offsets[k]);
    else if (t.dtype === 'I8') {
      const s = tensors.get(`${n}::scale`);
      if (!s || s.dtype !== 'F32' || s.data.length !== 1) bad(`int8 update tensor "${n}" needs an f32 "${n}::scale" of one value`);
      const scale = (s!.data as Float32Array)[0], q = t.data as Int8Array, o = layout.offsets[k];
      if (!Number.isFinite(scale) || scale <= 0) bad(`"${n}::scale" must be a positive finite number, got ${scale}`);
      for (let i = 0; i < q.length; i++) delta[o + i] = q[i] * scale;
    } else bad(`update tensor "${n}" is ${t.dtype}; send F32, or I8 with a scale`);
  });
  for (let i = 0; i < delta.length; i++) if (!Number.isFinite(delta[i])) bad(`update has a non-finite value (NaN or Inf) at element ${i}`);
  return { delta, round, samples };
}

/** Scales delta (in place) to at most clipNorm; returns its norm before clipping. */
export function clipToNorm(delta: Float32Array, clipNorm: number): number {
  let s = 0;
  for (const v of delta) s += v * v;
  const norm = Math.sqrt(s);
  if (norm > clipNorm) { const k = clipNorm / norm; for (let i = 0; i < delta.length; i++) delta[i] *= k; }
  return norm;
}

/** Server optimizer state (zeros at start): momentum / first and second moments. */
export interface ServerState { m: Float32Array; v: Float32Array }

/**
 * The round's server step, in place on w: avg = Σ samples·delta / Σ samples; FedAvg w += lr·avg;
 * FedAvgM v = momentum·v + avg, w += lr·v; FedAdam m = β1 m + (1−β1) avg, v = β2 v + (1−β2) avg²,
 * w += lr·m / (√v + eps) (Reddi et al. 2021, adaptive federated optimization).
 */
export function serverStep(w: Float32Array, sum: ArrayLike<number>, samples: number, st: ServerState, c: Required<ServerConfig>): void {
  const inv = 1 / samples;
  for (let i = 0; i < w.length; i++) {
    const g = sum[i] * inv;
    if (c.optimizer === 'fedavg') w[i] += c.lr * g;
    else if (c.optimizer === 'fedavgm') { st.m[i] = c.momentum * st.m[i] + g; w[i] += c.lr * st.m[i]; }
    else {
      st.m[i] = c.beta1 * st.m[i] + (1 - c.beta1) * g;
      st.v[i] = c.beta2 * st.v[i] + (1 - c.beta2) * g * g;
      w[i] += c.lr * st.m[i] / (Math.sqrt(st.v[i]) + c.eps);
    }
  }
}
