// POST /predict with a WAV body (content-type audio/wav) for a model that takes PCM (a
// melSpectrogram front end, e.g. `axon train models/kws/config.json`): the clip is resampled to the
// front end's rate and fitted to the model's length (a longer recording: its loudest window), then
// classified; answers {label, class, scores, classNames}. Bad WAVs get AxonError('BAD_DATA') → 400.
import { AxonError, wavToClip, Tensor, type Model } from '../../index.js';

export const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];

export async function classifyWav(model: Model, extra: Record<string, unknown> | undefined, bytes: Uint8Array, run: <T>(fn: () => Promise<T>) => Promise<T>): Promise<Record<string, unknown>> {
  const front = model.layers.find((l) => l.type === 'melSpectrogram') as { o?: { sampleRate: number } } | undefined;
  const inp = model.inputs[0];
  if (!front || model.inputs.length !== 1 || inp.shape.length !== 1 || inp.dtype !== 'f32') throw new AxonError('BAD_ARGUMENT', 'this model does not take audio (no melSpectrogram front end on a PCM input); send {"inputs": ...}');
  const L = Number(inp.shape[0]), x = new Tensor(wavToClip(bytes, L, front.o!.sampleRate, 'the WAV body'), [1, L]);
  const scores = Array.from((await run(() => model.predict(x))).data as Float32Array);
  const k = scores.indexOf(Math.max(...scores)), names = (extra?.labels as string[] | undefined) ?? null;
  return { label: names?.[k] ?? String(k), class: k, scores, classNames: names };
}
