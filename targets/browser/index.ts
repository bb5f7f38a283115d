// Browser target (axon/browser): the API of api.ts, with the layer families a classic model does not
// use (transformer, recurrent, audio front end, augmentation: src/layers/families.ts) left out of the app's
// start and loaded on demand: `import()`s, which the app's bundler turns into chunks. loadModel and
// loadLayers load what a model file needs; a family's classes imported by the app register anyway.
import { setLayerFamilyLoaders } from '../../src/layers/families.js';

export * from './api.js';

setLayerFamilyLoaders({
  transformer: () => import('../../src/layers/transformer_family.js'),
  recurrent: () => import('../../src/layers/recurrent_family.js'),
  audio: () => import('../../src/layers/audio.js'),
  augment: () => import('../../src/layers/augment.js'),
});
