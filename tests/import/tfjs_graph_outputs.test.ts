// TF.js graph models with several outputs (a MediaPipe-style detector: a backbone and heads, the
// backbone's features an output too though the heads read them), built here as GraphDef JSON and
// compared output by output with tfjs-converter's GraphModel.executeAsync on tfjs's CPU backend (1e-4).
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { importTfjsGraph } from '../../src/import/tfjs_graph.js';
import { AxonError, Tensor } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { maxDiff } from './kit.js';
import { A, GraphBuilder as G } from './tfjs_graph_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

function detector() {
  const g = new G(), x = g.input('image', [-1, 6, 6, 3]);
  const bb = g.op('backbone/Relu', '_FusedConv2D', [x, g.rand('backbone/w', [3, 3, 3, 8]), g.rand('backbone/b', [8])], { ...G.conv(1), ...G.fused(['BiasAdd', 'Relu']) });
  const sc = g.op('scores/BiasAdd', 'BiasAdd', [g.op('scores/Conv2D', 'Conv2D', [bb, g.rand('scores/w', [1, 1, 8, 2])], G.conv(1)), g.rand('scores/b', [2])]);
  g.op('scores', 'Sigmoid', [sc]);
  const bx = g.op('boxes/Conv2D', 'Conv2D', [bb, g.rand('boxes/w', [3, 3, 8, 4])], G.conv(2));
  g.op('boxes', 'Reshape', [bx, g.ints('boxes/shape', [-1, 9, 4])], { Tshape: { type: 'DT_INT32' } });
  const mean = g.op('pool/Mean', 'Mean', [bb, g.ints('pool/axes', [1, 2])], { keep_dims: A.b(false), Tidx: { type: 'DT_INT32' } });
  g.op('logits', '_FusedMatMul', [mean, g.rand('fc/w', [8, 5]), g.rand('fc/b', [5])], { ...G.fused(['BiasAdd']), transpose_a: A.b(false), transpose_b: A.b(false) });
  return g.json();
}
const OUTS = ['scores', 'boxes', 'logits', 'backbone/Relu'];

async function tfjsOutputs(g: ReturnType<typeof detector>, x: Float32Array, dims: number[], outs: string[]): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  const m = await loadGraphModel({ load: async () => ({ format: 'graph-model', modelTopology: g.modelTopology as object, weightSpecs: g.weightSpecs as tf.io.WeightsManifestEntry[], weightData: g.weightData }) });
  const ys = (await m.executeAsync(tf.tensor(x, dims), outs)) as tf.Tensor[];
  const v = ys.map((y) => y.dataSync() as Float32Array);
  tf.dispose(ys);
  m.dispose();
  return v;
}

describe('TF.js graph models with several outputs', () => {
  it('outputs: [...] imports every head, in the order given, matching executeAsync within 1e-4', async () => {
    const g = detector(), B = 3, x = randn(B * 108, 7);
    const want = await tfjsOutputs(g, x, [B, 6, 6, 3], OUTS);
    const imp = await importTfjsGraph(g, { engine: e, outputs: OUTS });
    expect(imp.outputNames).toEqual(OUTS);
    expect(imp.model.outputNames).toEqual(imp.outputs.map((o) => o.ref));
    expect(imp.model.outputShapes).toEqual([[6, 6, 2], [9, 4], [5], [6, 6, 8]]);
    const got = await imp.model.predict([new Tensor(x, [B, 6, 6, 3])]);
    got.forEach((y, k) => {
      expect(y.data.length, OUTS[k]).toBe(want[k].length);
      expect(maxDiff(y.data, want[k]), `${OUTS[k]}: max |axon - tfjs|`).toBeLessThanOrEqual(1e-4);
    });
  });

  it("a signature with several outputs is imported whole; several sinks and no choice is an error naming them", async () => {
    const g = detector();
    const sig = { ...g, signature: { outputs: { a: { name: 'logits:0' }, b: { name: 'scores:0' } } } };
    const imp = await importTfjsGraph(sig, { engine: e });
    expect(imp.outputNames).toEqual(['logits', 'scores']);
    const x = randn(2 * 108, 8), want = await tfjsOutputs(g, x, [2, 6, 6, 3], ['logits', 'scores']);
    const got = await imp.model.predict([new Tensor(x, [2, 6, 6, 3])]);
    got.forEach((y, k) => expect(maxDiff(y.data, want[k])).toBeLessThanOrEqual(1e-4));
    await expect(importTfjsGraph(g, { engine: e })).rejects.toThrowError(/the graph has 3 outputs \(scores, boxes, logits\).*outputs: \[\.\.\.\]/);
    await expect(importTfjsGraph(g, { engine: e, outputs: ['scores', 'scores'] })).rejects.toThrowError(AxonError);
    await expect(importTfjsGraph(g, { engine: e, outputs: ['scores', 'nope'] })).rejects.toThrowError(/no node "nope"/);
  });
});
