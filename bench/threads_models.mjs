// bench/threads.mjs's MobileNetV2: nsfwjs 4.4.0's (Keras functional, 224×224×3) imported into Axon
// on a given engine, and its int8 version (static post-training quantization on 16 synthetic
// images, as bench/q8graph.mjs), with a deterministic batch of images.
const S = 224;
const img = (Tensor, n, seed) => new Tensor(Float32Array.from({ length: n * S * S * 3 }, (_, i) => (((i + seed) * 7919 + ((i + seed) >> 9) * 31) % 256) / 255), [n, S, S, 3]);

export async function mobilenetV2(n, engine, int8 = false) {
  const { MobileNetV2Model: m } = await import('nsfwjs/models/mobilenet_v2');
  const json = (await m.modelJson()).default, shard = new Uint8Array(Buffer.from((await m.weightBundles[0]()).default, 'base64'));
  const { importTfjsLayers, Tensor, loadEngine, quantizeModel } = await import('../dist/node.js');
  const { model } = await importTfjsLayers(json, { loadShard: () => shard, engine: engine ?? await loadEngine() });
  const q = int8 ? await quantizeModel(model, img(Tensor, 16, 1)) : undefined;
  return { model, q, x: img(Tensor, n, 5) };
}
