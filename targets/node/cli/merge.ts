// `axon merge model.axon bundle.axb weights.bin --out tuned.axon`: the weights a WASI device's
// finetune wrote, back into the model file the bundle was compiled from (src/wasi/merge.ts), written
// atomically; the result runs everywhere a model file runs (axon run, the Worker, compile again).
import { readFile } from 'node:fs/promises';
import { mergeBundleWeights } from '../../../src/wasi/merge.js';
import { writeFileAtomic } from '../fs.js';
import { readError } from '../read_error.js';

const read = async (path: string, what: string): Promise<Uint8Array> => {
  try { return new Uint8Array(await readFile(path)); } catch (e) { throw readError(path, e, what); }
};

export async function merge(model: string, bundle: string, weights: string, o: { out: string }): Promise<{ out: string; bytes: number }> {
  const bytes = mergeBundleWeights(await read(model, 'model file'), await read(bundle, 'bundle'), await read(weights, 'weights file'), { file: model });
  writeFileAtomic(o.out, bytes);
  return { out: o.out, bytes: bytes.length };
}
