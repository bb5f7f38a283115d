// Dynamic int8 quantization of any model (several inputs and outputs, open axes): layer by layer,
// Dense → QDenseDynamic (on the last axis, its activation after it in f32), GRU → QGRUDynamic (int8
// W_ih and W_hh, src/quant/qgru.ts) and MultiHeadAttention → QMultiHeadAttentionDynamic (int8 Q/K/V/O projections), Dropout dropped (its readers read its
// input), every other layer copied frozen with its weights. Weights int8 symmetric per output channel; activations quantized per call with their own
// range, so no calibration. The result keeps the inputs, outputs, layer names and wiring.
import { AxonError } from '../errors.js';
import type { Layer, ParamData } from '../layers/layer.js';
import type { Dense } from '../layers/dense.js';
import type { MultiHeadAttention } from '../layers/attention.js';
import type { GRU } from '../layers/recurrent.js';
import { keepMetadata } from '../model/transfer.js';
import { Model } from '../model/model.js';
import { Sequential } from '../model/sequential.js';
import { recreate } from '../model/wiring.js';
import { QDenseDynamic } from './qdense.js';
import { QMultiHeadAttentionDynamic } from './qattention.js';
import { QGRUDynamic } from './qgru.js';
import { quantizeWeights } from './scheme.js';

export interface DynamicOptions { weightBits?: 7 | 8; layers?: number }

export function quantizeDynamic(model: Model, o: DynamicOptions = {}): Model {
  const bits = o.weightBits ?? 8, nLayers = o.layers ?? model.layers.length;
  if (model.layers.some((l) => l.outputDtype !== 'f32' || l.params.some((p) => p.dtype === 'i8'))) throw new AxonError('BAD_ARGUMENT', 'the model is already quantized; quantize the f32 model');
  const w = model.getParams(), weights = new Map<string, ParamData>();
  const base = { seed: model.seed, name: `${model.name}-int8`, engine: model.engine };
  const out = model.isChain ? new Sequential({ ...base, inputShape: model.inputShape })
    : new Model({ ...base, inputs: model.inputs.map((m) => ({ name: m.name, shape: m.shape, dtype: m.dtype, maxShape: m.max, ...(m.range ? { range: m.range } : {}) })) });
  const get = (l: Layer, p: string) => w.get(`${l.name}.${p}`)!;
  const int8 = (l: Layer, p: string, N: number, from: string, to = from) => {
    const q = quantizeWeights(get(l, `${from}weight`) as Float32Array, N, false, bits);
    return { [`${to}weight`]: q.q, [`${to}weight.scale`]: q.scale, [`${to}weight.zero_point`]: new Int8Array(N), ...(w.has(`${l.name}.${p}`) ? { [p]: get(l, p) } : {}) };
  };
  const alias = new Map<string, string>(), ref = (r: string) => alias.get(r) ?? r;   // a dropped Dropout: its readers read its input
  model.layers.forEach((l, i) => {
    if (l.type === 'dropout') { alias.set(l.name, ref(model.inputsOf(l.name)[0])); return; }
    let q: Layer, params: Record<string, ParamData>;
    if (i < nLayers && l.type === 'dense') {
      const d = l as Dense;
      q = new QDenseDynamic({ units: d.units, activation: d.activation, useBias: d.params.some((p) => p.name === 'bias'), name: d.name });
      params = int8(d, 'bias', d.units, '');
    } else if (i < nLayers && l.type === 'gru') {
      ({ layer: q, params } = qgruOf(l as GRU, w, bits));
    } else if (i < nLayers && l.type === 'multiHeadAttention') {
      const a = l as MultiHeadAttention;
      q = new QMultiHeadAttentionDynamic({ ...a.opts, name: a.name });
      params = Object.assign({}, ...a.projections.map((p) => int8(a, `${p}_bias`, a.params.find((d) => d.name === `${p}_weight`)!.shape[0], `${p}_`)));
    } else {
      q = recreate(l);
      q.trainable = false;
      params = Object.fromEntries(l.params.map((p) => [p.name, get(l, p.name)]));
    }
    out.add(q, model.isChain ? {} : { inputs: model.inputsOf(l.name).map(ref) });
    for (const [k, v] of Object.entries(params)) weights.set(`${q.name}.${k}`, v);
  });
  if (!model.isChain) out.setOutputs(model.outputNames.map(ref));
  out.setWeights(weights);
  return keepMetadata(model, out);
}

/** A GRU's int8 form: W_ih, W_hh int8 per output row (gates r | z | n stacked), the f32 biases as they are. */
export function qgruOf(g: GRU, w: Map<string, ParamData>, bits: 7 | 8): { layer: QGRUDynamic; params: Record<string, ParamData> } {
  const G3 = 3 * g.units, get = (p: string) => w.get(`${g.name}.${p}`) as Float32Array;
  const ih = quantizeWeights(get('weight_ih'), G3, false, bits), hh = quantizeWeights(get('weight_hh'), G3, false, bits);
  const layer = new QGRUDynamic({ units: g.units, returnSequences: g.returnSequences, returnState: g.returnState, name: g.name });
  return { layer, params: { ih_weight: ih.q, 'ih_weight.scale': ih.scale, 'ih_weight.zero_point': new Int8Array(G3),
    hh_weight: hh.q, 'hh_weight.scale': hh.scale, 'hh_weight.zero_point': new Int8Array(G3), bias_ih: get('bias_ih'), bias_hh: get('bias_hh') } };
}
