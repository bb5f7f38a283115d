// The lifecycle page's script (bundled by tests/targets/browser/lifecycle.test.ts): in the page, a
// model file is fine-tuned with its compile settings, predicts with the new weights, is saved with
// modelToBytes and loaded back; the page returns the predictions and the saved file's bytes.
import { loadEngine, modelFromBytes, modelToBytes, Normalizer, Tensor } from '../../../targets/browser/index.js';

interface Job { model: number[]; x: number[]; y: number[]; test: number[]; epochs: number }

(globalThis as unknown as Record<string, unknown>).axonLifecycle = async (job: Job) => {
  const engine = await loadEngine({ build: 'simd' });
  const { model, graph } = modelFromBytes(Uint8Array.from(job.model), 'page.axon', engine);
  const norm = Normalizer.fromJSON(graph.extra!.normalizer);
  const n = job.y.length, prep = (v: number[]) => norm.apply(new Tensor(Float32Array.from(v), [v.length / 64, 64]));
  await model.fit(prep(job.x), new Tensor(Int32Array.from(job.y), [n]), { epochs: job.epochs, batchSize: 16 });
  const pred = await model.predict(prep(job.test));
  const saved = modelToBytes(model);
  const again = await modelFromBytes(saved, 'saved.axon', engine).model.predict(prep(job.test));
  return { pred: Array.from(pred.data), again: Array.from(again.data), saved: Array.from(saved) };
};
