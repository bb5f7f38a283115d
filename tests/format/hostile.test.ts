// Regression tests for the findings of the hostile-input campaign (issue 14), one per finding, each
// named after what it broke: every one must now be an AxonError with a code (never a TypeError,
// RangeError, SyntaxError, wasm trap or runaway allocation), and the configurable limits must let
// a genuine model through when raised.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, Sequential, layers, Tensor, modelToBytes, modelFromBytes, importOnnx, importTfjsLayers, importTfjsGraph, AxonError } from '../../src/index.js';
import { decodeSafetensors, encodeSafetensors, StTensorIn } from '../../src/format/safetensors.js';
import { decodeOnnx, encodeOnnx, OnnxModel } from '../../src/import/onnx_proto.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';
import { A, GraphBuilder } from '../import/tfjs_graph_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

/** Awaits f and returns the AxonError it throws (fails the test on success or any other error). */
async function axonError(f: () => unknown): Promise<AxonError> {
  try { await f(); } catch (err) {
    if (err instanceof AxonError) return err;
    throw new Error(`expected an AxonError, got ${String((err as Error)?.stack ?? err)}`);
  }
  throw new Error('expected an AxonError, but it succeeded');
}

describe('.axon model file: graph JSON of the wrong types', () => {
  let bytes: Uint8Array;
  beforeAll(() => {
    const m = new Sequential({ inputShape: [4], seed: 1, engine: e });
    m.add(layers.dense({ units: 3, activation: 'relu' })); m.add(layers.dense({ units: 2 }));
    m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mse'] });
    bytes = modelToBytes(m);
  });
  /** The model file with its graph JSON edited by `edit`. */
  const withGraph = (edit: (g: Record<string, any>) => void): Uint8Array => {
    const { tensors, metadata } = decodeSafetensors(bytes, 'm', { copy: true });
    const g = JSON.parse(metadata.graph); edit(g);
    const ts: Record<string, StTensorIn> = {};
    for (const [k, t] of tensors) ts[k] = t;
    return encodeSafetensors(ts, { ...metadata, graph: JSON.stringify(g) });
  };
  const cases: Array<[string, (g: Record<string, any>) => void, RegExp]> = [
    ['a layer that is null', (g) => { g.layers[1] = null; }, /graph\.layers\[1\] must be an object, got null/],
    ['a layer name that is a number', (g) => { g.layers[0].name = 7; }, /graph\.layers\[0\]\.name must be a string, got number 7/],
    ['metrics that are not a list', (g) => { g.compile.metrics = 'accuracy'; }, /graph\.compile\.metrics must be a list/],
    ['a compile block without an optimizer', (g) => { delete g.compile.optimizer; }, /has no optimizer/],
    ['an empty layer list (loaded, then failed in predict)', (g) => { g.layers = []; }, /graph\.layers is empty/],
    ['a layer type that names an Object.prototype member', (g) => { g.layers[0].type = 'constructor'; }, /unknown type "constructor"/],
    ['an input shape of strings', (g) => { g.inputShape = ['4']; }, /graph\.inputShape\[0\] must be an integer/],
  ];
  for (const [what, edit, msg] of cases) {
    it(`${what}: BAD_MODEL_FILE`, async () => {
      const err = await axonError(() => modelFromBytes(withGraph(edit), 'm.axon', e));
      expect(err.code).toBe('BAD_MODEL_FILE');
      expect(err.message).toMatch(msg);
    });
  }
  it('limits: a model past maxTensorBytes is refused, and loads when the limit is raised', async () => {
    const err = await axonError(() => modelFromBytes(bytes, 'm.axon', e, { limits: { maxTensorBytes: 16 } }));
    expect(err.code).toBe('OUT_OF_MEMORY');
    expect(err.message).toMatch(/raise limits\.maxTensorBytes/);
    expect(modelFromBytes(bytes, 'm.axon', e, { limits: { maxTensorBytes: 1024 } }).model.layers.length).toBe(2);
  });
});

describe('ONNX: sizes trusted before they were checked', () => {
  let mlp: OnnxModel;
  beforeAll(async () => { mlp = await decodeOnnx(new Uint8Array(readFileSync(new URL('../fixtures/onnx/torch_mlp.onnx', import.meta.url)))); });
  const edited = async (edit: (m: OnnxModel) => void) => { const m = structuredClone(mlp); edit(m); return encodeOnnx(m); };

  it('initializer dims larger than its data (was a RangeError from new Float32Array): BAD_MODEL_FILE or OUT_OF_MEMORY before allocating', async () => {
    for (const dims of [[1e9, 1e9], [-1, 4], [65536, 65536]]) {
      const bytes = await edited((m) => { m.graph!.initializer![0].dims = dims; });
      const err = await axonError(() => importOnnx(bytes, { engine: e }));
      expect(['BAD_MODEL_FILE', 'OUT_OF_MEMORY']).toContain(err.code);
    }
  });
  it('a Pad by 16,777,216 (allocated 11 GB): OUT_OF_MEMORY naming the layer output, before any allocation', async () => {
    const b = new OnnxBuilder('pad');
    const h = b.node('Pad', ['x', b.ints('pads', [0, 0, 16_777_216, 0, 0, 0, 0, 0])]);
    const bytes = await b.build({ name: 'x', dims: ['N', 2, 4, 4] }, b.node('Relu', [h]));
    const before = process.memoryUsage().rss;
    const err = await axonError(() => importOnnx(bytes, { engine: e }));
    expect(err.code).toBe('OUT_OF_MEMORY');
    expect(err.message).toMatch(/per sample|per tensor/);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });
  it('a Reshape of constants whose target does not divide the values (a fuzz mutant: RangeError in a later Slice): BAD_MODEL_FILE', async () => {
    const b = new OnnxBuilder('fold');
    const shaped = b.node('Reshape', [b.init('c', [4], [1, 2, 3, 4]), b.ints('to', [-1, 3])]);
    const cut = b.node('Slice', [shaped, b.ints('st', [0]), b.ints('en', [1])]);
    const bytes = await b.build({ name: 'x', dims: ['N', 4] }, b.node('Add', ['x', b.node('Flatten', [cut])]));
    const err = await axonError(() => importOnnx(bytes, { engine: e }));
    expect(err.code).toBe('BAD_MODEL_FILE');
    expect(err.message).toMatch(/Reshape on constants gives shape \[1\.3+\d*, 3\] for 4 values; the file is corrupt/);
  });
  it('an input of 10^12 values per sample: OUT_OF_MEMORY before the layout tables are built', async () => {
    const bytes = await edited((m) => { m.graph!.input![0].type!.tensor_type!.shape!.dim![1].dim_value = 1e12; });
    expect((await axonError(() => importOnnx(bytes, { engine: e }))).code).toBe('OUT_OF_MEMORY');
  });
  it('an op_type naming an Object.prototype member ("constructor", was a TypeError): UNSUPPORTED', async () => {
    const bytes = await edited((m) => { m.graph!.node[0].op_type = 'constructor'; });
    expect((await axonError(() => importOnnx(bytes, { engine: e }))).code).toBe('UNSUPPORTED');
  });
  it('limits.maxTotalBytes refuses a genuine model when set below its weights, and is validated itself', async () => {
    const bytes = await encodeOnnx(mlp);
    expect((await axonError(() => importOnnx(bytes, { engine: e, limits: { maxTotalBytes: 100 } }))).code).toBe('OUT_OF_MEMORY');
    expect((await axonError(() => importOnnx(bytes, { engine: e, limits: { maxNodes: -1 } }))).code).toBe('BAD_ARGUMENT');
    expect((await importOnnx(bytes, { engine: e })).model.layers.length).toBeGreaterThan(0);
  });
});

describe('TF.js layers model: raw errors from JSON, manifests and attributes', () => {
  const model = (layer: object, inputShape = [6, 6, 2]) => JSON.stringify({
    modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'same', dilation_rate: [1, 1], activation: 'linear', use_bias: false, batch_input_shape: [null, ...inputShape], ...layer } }] } },
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'c/kernel', shape: [3, 3, 2, 2], dtype: 'float32' }] }],
  });
  const shard = () => new Uint8Array(3 * 3 * 2 * 2 * 4);
  it('the genuine model imports', async () => {
    expect((await importTfjsLayers(model({}), { loadShard: shard, engine: e })).model.layers.length).toBe(1);
  });
  it('a JSON string that is not JSON (was a SyntaxError): BAD_MODEL_FILE', async () => {
    expect((await axonError(() => importTfjsLayers(model({}).slice(0, 50), { loadShard: shard, engine: e }))).code).toBe('BAD_MODEL_FILE');
  });
  it('Conv2D dilation_rate 1e9 (was a wasm out-of-bounds trap): BAD_CONFIG at import, no kernel runs', async () => {
    const err = await axonError(async () => {
      const m = (await importTfjsLayers(model({ dilation_rate: [1e9, 1e9] }), { loadShard: shard, engine: e })).model;
      await m.predict(new Tensor(new Float32Array(72), [1, 6, 6, 2]));
    });
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toMatch(/exceeds 1048576, the largest extent/);
  });
  it('manifest fields of the wrong type (paths not a list, a negative or string shape; were TypeError/RangeError): BAD_MODEL_FILE', async () => {
    const base = JSON.parse(model({}));
    for (const edit of [(j: any) => { j.weightsManifest[0].paths = 'w.bin'; }, (j: any) => { j.weightsManifest[0].weights[0].shape = [-3, 2]; }, (j: any) => { j.weightsManifest[0].weights[0].shape = '3,3'; }, (j: any) => { j.weightsManifest = [null]; }]) {
      const j = structuredClone(base); edit(j);
      expect((await axonError(() => importTfjsLayers(JSON.stringify(j), { loadShard: shard, engine: e }))).code).toBe('BAD_MODEL_FILE');
    }
  });
  it('a layer without a config (was a TypeError): BAD_MODEL_FILE', async () => {
    const j = JSON.parse(model({})); delete j.modelTopology.config.layers[0].config;
    expect((await axonError(() => importTfjsLayers(JSON.stringify(j), { loadShard: shard, engine: e }))).code).toBe('BAD_MODEL_FILE');
  });
});

describe('TF.js graph model: raw errors from JSON, base64 and node fields', () => {
  const graph = () => {
    const g = new GraphBuilder(), x = g.input('input', [-1, 4, 4, 2]);
    g.op('c/Conv2D', 'Conv2D', [x, g.rand('c/w', [3, 3, 2, 2])], GraphBuilder.conv(1, 'SAME'));
    const j = g.json();
    return { j: { format: 'graph-model', modelTopology: j.modelTopology as any, weightsManifest: [{ paths: ['w.bin'], weights: j.weightSpecs }] }, shard: new Uint8Array(j.weightData) };
  };
  const run = (j: object, shard: Uint8Array) => importTfjsGraph(JSON.stringify(j), { loadShard: () => shard, engine: e });
  it('the genuine graph imports', async () => { const { j, shard } = graph(); expect((await run(j, shard)).model.layers.length).toBeGreaterThan(0); });
  it('a JSON string that is not JSON (was a SyntaxError): BAD_MODEL_FILE', async () => {
    expect((await axonError(() => importTfjsGraph('{"format": "graph-model", "modelTop', { engine: e }))).code).toBe('BAD_MODEL_FILE');
  });
  it('an attribute string that is not base64 (was a DOMException from atob): BAD_MODEL_FILE', async () => {
    const { j, shard } = graph(); j.modelTopology.node[2].attr.padding = { s: '@@@=' };
    const err = await axonError(() => run(j, shard));
    expect(err.code).toBe('BAD_MODEL_FILE');
    expect(err.message).toMatch(/not base64/);
  });
  it('a node whose input is not a list, and a weight with a negative size (were TypeError/RangeError): BAD_MODEL_FILE', async () => {
    const a = graph(); a.j.modelTopology.node[2].input = 'input';
    expect((await axonError(() => run(a.j, a.shard))).code).toBe('BAD_MODEL_FILE');
    const b = graph(); b.j.weightsManifest[0].weights[0].shape = [-1, 3, 2, 2];
    expect((await axonError(() => run(b.j, b.shard))).code).toBe('BAD_MODEL_FILE');
  });
  it('an op naming an Object.prototype member ("toString", was a TypeError): UNSUPPORTED', async () => {
    const { j, shard } = graph(); j.modelTopology.node[2].op = 'toString';
    expect((await axonError(() => run(j, shard))).code).toBe('UNSUPPORTED');
  });
  it('an integer attribute that is not an integer: BAD_MODEL_FILE', async () => {
    const { j, shard } = graph(); j.modelTopology.node[2].attr.strides = { list: { i: ['x', '1', '1', '1'] } };
    expect((await axonError(() => run(j, shard))).code).toBe('BAD_MODEL_FILE');
  });
  it('a Pad by 10^5 on each side (was a RangeError from a 10^11-entry index table built with the layer): OUT_OF_MEMORY naming the layer, nothing allocated', async () => {
    const g = new GraphBuilder(), x = g.input('input', [-1, 4, 4, 2]);
    g.op('pad/Pad', 'Pad', [x, g.const('pad/paddings', [4, 2], [0, 0, 1e5, 1e5, 1e5, 1e5, 0, 0], 'int32')]);
    const j = g.json(), before = process.memoryUsage().rss;
    const err = await axonError(() => run({ format: 'graph-model', modelTopology: j.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: j.weightSpecs }] }, new Uint8Array(j.weightData)));
    expect(err.code).toBe('OUT_OF_MEMORY');
    expect(err.message).toMatch(/pad.* outputs \[200004,200004,2\] per sample/);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
    void A;
  });
});

describe('the model core: a dangling input reference', () => {
  it('an input that is not a name or a layer (a TF.js layers file\'s inbound node that resolves to nothing, was a TypeError): BAD_CONFIG naming the layer', () => {
    for (const m of [new Sequential({ inputShape: [3], seed: 1, engine: e }), new Model({ inputs: [{ name: 'x', shape: [3] }], engine: e })]) {
      expect(() => m.add(layers.dense({ units: 2, name: 'd' }), { inputs: [undefined as never] })).toThrowError(/d: input 0 is undefined; give a model input's name/);
    }
  });
});
