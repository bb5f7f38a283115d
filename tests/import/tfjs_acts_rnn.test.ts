// TensorFlow.js layers models with the smooth activations (elu, selu, gelu, swish, the ELU
// layer) built and saved by @tensorflow/tfjs-layers, imported and compared with tfjs's CPU backend.
import { describe, it, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';
import { save, randomize, checkTfjs } from './tfjs_layers_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); await tf.setBackend('cpu'); });
const ERR: Record<string, number> = {};
afterAll(() => { console.log('tfjs import max |axon - tfjs cpu|:', Object.entries(ERR).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')); });

describe('TensorFlow.js layers: smooth activations vs tfjs CPU backend (1e-5)', () => {
  it('Dense with elu, selu, gelu, swish; the ELU layer', async () => {
    const acts = ['elu', 'selu', 'gelu', 'swish'] as const;   // tfjs 4.22 cannot load its own gelu_new back
    const m = tfl.sequential({ layers: [
      tfl.layers.dense({ inputShape: [10], units: 12, activation: acts[0] }),
      ...acts.slice(1).map((a) => tfl.layers.dense({ units: 12, activation: a as never })),
      tfl.layers.dense({ units: 6 }), tfl.layers.elu()] });   // tfjs refuses an ELU layer alpha other than 1
    randomize(m, 7);
    await checkTfjs(e, ERR, 'activations', await save(m), [10], 5, 1e-5);
  });
});
