// The layer registry's two halves (src/layers/registry.ts, families.ts): the classic constructors and
// the families that register as their modules load. In Node every family's module has loaded (the
// public API exports every class), so every family type is registered, each type is in exactly one
// place, and loadLayers has nothing to load. The on-demand path itself (a bundle from the published
// axon/browser, in Chromium) is tests/targets/browser/lazy_layers.test.ts.
import { it, expect } from 'vitest';
import { AxonError, loadLayers, modelFromBytes, modelToBytes, Model, layers, Engine } from '../../src/index.js';
import { LAYER_TYPES, allLayerTypes } from '../../src/layers/registry.js';
import { LAYER_FAMILIES, familyOf, notLoaded, registeredLayerTypes } from '../../src/layers/families.js';
import { engine as testEngine } from '../helpers.js';

const familyTypes = Object.values(LAYER_FAMILIES).flat();

it('every family type is registered once its module loads, and every registered type is listed in a family', () => {
  expect(registeredLayerTypes().sort()).toEqual([...familyTypes].sort());
});

it('a layer type is in exactly one place: the classic registry or one family', () => {
  expect(familyTypes.filter((t) => t in LAYER_TYPES)).toEqual([]);
  expect(new Set(allLayerTypes()).size).toBe(allLayerTypes().length);
  expect(familyOf('multiHeadAttention')).toBe('transformer');
  expect(familyOf('qmultiHeadAttentionDynamic')).toBe('transformer');
  expect(familyOf('melSpectrogram')).toBe('audio');
  expect(familyOf('lstm')).toBe('recurrent');
  expect(familyOf('bidirectional')).toBe('recurrent');
  expect(familyOf('qgruDynamic')).toBeUndefined();   // (the int8 GRU is classic: src/index.ts exports it by name)
  expect(familyOf('dense')).toBeUndefined();
});

it('NOT_LOADED names the families and types the file needs, and both ways to load them', () => {
  const e = notLoaded('m.axon', ['embedding', 'multiHeadAttention', 'embedding', 'melSpectrogram']);
  expect(e).toBeInstanceOf(AxonError);
  expect(e.code).toBe('NOT_LOADED');
  expect(e.details).toEqual({ families: ['transformer', 'audio'], types: ['embedding', 'multiHeadAttention', 'melSpectrogram'] });
  expect(e.message).toBe('m.axon: the model has transformer and audio layers (embedding, multiHeadAttention, melSpectrogram), which this entry (axon/browser) loads on demand and has not loaded yet: '
    + 'load the model with `await loadModel(url or bytes)`, or call `await loadLayers(bytes)` before modelFromBytes');
});

it('loadLayers in an entry that carries every layer: nothing to load; a Transformer file then loads synchronously', async () => {
  const engine: Engine = await testEngine();
  const m = new Model({ inputs: [{ name: 'ids', shape: [4], dtype: 'i32', range: [0, 10] }], seed: 1, engine });
  m.add(layers.embedding({ inputDim: 10, outputDim: 8, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.layerNormalization({ name: 'ln' }), { inputs: ['tok'] });
  const bytes = modelToBytes(m);
  await loadLayers(bytes);
  await loadLayers(['transformer', 'melSpectrogram']);
  await loadLayers();
  expect(modelFromBytes(bytes, 'm.axon').model.layers.map((l) => l.type)).toEqual(['embedding', 'layerNormalization']);
});

it('loadLayers on bytes that are not a model file: BAD_MODEL_FILE, as modelFromBytes would say', async () => {
  await expect(loadLayers(new Uint8Array([1, 2, 3]), 'x.axon')).rejects.toMatchObject({ code: 'BAD_MODEL_FILE', message: expect.stringMatching(/^x\.axon: /) });
});
