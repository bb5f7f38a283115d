// POST /finetune for the template Worker (worker.ts): k full-batch steps on the request's rows with
// the optimizer and schedule of the model file's compile settings (plain SGD at FINETUNE_LR when
// the file has none), starting from the newest weights and optimizer state in KV and saving both
// back: the tuned model file (key `<model>/tuned.axon`, with its normalizer and compile settings) and
// the optimizer state (`<model>/tuned.state`: f32 values of every `opt:` buffer in order), so a new
// isolate resumes exactly. Targets: `labels` (class ids) for a class-id loss, else `targets`
// (nested arrays [n, ...output shape]). A model with nothing trainable answers 400 NOTHING_TO_TRAIN.
import { Tensor, type Model } from '../../index.js';
import { tensorFromNested } from './named.js';

/** The subset of the KV API this Worker uses (see @cloudflare/workers-types for the full one). */
export interface KV {
  getWithMetadata<M>(key: string, type: 'arrayBuffer'): Promise<{ value: ArrayBuffer | null; metadata: M | null }>;
  put(key: string, value: ArrayBuffer | ArrayBufferView, opts?: { metadata?: unknown }): Promise<void>;
}
export interface TunedState { model: Model; version: number; steps: number }
interface Meta { version: number; steps: number; step?: number; keys?: string[]; sizes?: number[] }

export const KEYS = { model: 'digits/tuned.axon', state: 'digits/tuned.state' };

/** The request's targets as a Tensor for the model's (one) loss. */
export function targetsOf(body: Record<string, unknown>, model: Model, n: number, bad: (code: string, msg: string) => Error): Tensor {
  const loss = model.losses[0], classIds = loss.spec.targetDtype === 'i32';
  if (classIds) {
    const labels = body.labels, classes = model.outputShape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(labels) || labels.length !== n) throw bad('BAD_SHAPE', `"labels" must be a list of ${n} class ids (one per input row)`);
    const y = new Int32Array(n);
    labels.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= classes) throw bad('BAD_LABEL', `labels[${i}] = ${JSON.stringify(v)} is not a class id in [0, ${classes})`);
      y[i] = v;
    });
    return new Tensor(y, [n]);
  }
  const shape = model.outputShapes[0];
  const t = tensorFromNested(body.targets, { name: 'targets', dtype: 'f32', shape, max: shape } as unknown as Model['inputs'][number], n);
  if (t.shape[0] !== n) throw bad('BAD_SHAPE', `"targets" has ${t.shape[0]} rows but the inputs ${n}`);
  return t;
}

/** Brings the tuned model up to the newest weights and optimizer state in KV (never back to older ones: KV reads may lag). */
export async function syncFromKv(t: TunedState, kv: KV, readWeights: (bytes: Uint8Array) => Map<string, Float32Array>): Promise<boolean> {
  const { value, metadata } = await kv.getWithMetadata<Meta>(KEYS.model, 'arrayBuffer');
  if (!value || !metadata || !(metadata.version > t.version)) return false;
  t.model.setWeights(readWeights(new Uint8Array(value)));
  const st = await kv.getWithMetadata<Meta>(KEYS.state, 'arrayBuffer');
  const m = st.metadata;
  if (st.value && m?.version === metadata.version && m.keys && m.sizes && m.keys.length === m.sizes.length) {
    const all = new Float32Array(st.value), state = new Map<string, Float32Array>();
    let at = 0;
    m.keys.forEach((k, i) => { state.set(k, all.subarray(at, at + m.sizes![i])); at += m.sizes![i]; });
    if (at === all.length) await t.model.setOptimizerState(state, m.step ?? 0);   // (else a state of another model: the moments restart)
  }
  t.version = metadata.version;
  t.steps = metadata.steps;
  return true;
}

/** Saves the tuned model file and its optimizer state as the next version. */
export async function saveToKv(t: TunedState, kv: KV, fileBytes: Uint8Array, steps: number): Promise<void> {
  const version = t.version + 1, total = t.steps + steps, state = t.model.optimizerState(), keys = [...state.keys()];
  const flat = new Float32Array(keys.reduce((a, k) => a + state.get(k)!.length, 0));
  let at = 0;
  for (const k of keys) { flat.set(state.get(k)!, at); at += state.get(k)!.length; }
  await kv.put(KEYS.state, flat, { metadata: { version, steps: total, step: t.model.step, keys, sizes: keys.map((k) => state.get(k)!.length) } });
  await kv.put(KEYS.model, fileBytes, { metadata: { version, steps: total } });
  t.version = version;
  t.steps = total;
}
