// Weights in the layout of the framework a model was imported from (Model.getWeights({ layout: 'source' })),
// by the source's own names (the importer's paramSources):
//   torch  (ONNX imports): PyTorch's state_dict layouts, as exportTorchSafetensors writes them: conv
//          (OC, C/g, KH, KW), Dense (out, in) with the columns back in PyTorch's C×H×W flatten order;
//   keras  (TF.js layers and graph imports): Dense kernel (in, out), conv kernels HWIO (as Axon's),
//          depthwise (KH, KW, C, multiplier), recurrent kernel (I, gates·H) / recurrent_kernel
//          (H, gates·H) in Keras' gate order with GRU's (2, 3H) bias.
// A parameter with no source (an importer's fixed affine layer, Keras LSTM's zero bias_hh) has no
// entry. Importers register their models here (setWeightSource); a model that was not imported has no
// source layout.
import { Tensor } from '../runtime/tensor.js';
import { torchStateDict } from '../export/torch.js';
import type { Model } from './model.js';
import { sourceLayout, noSource } from './source_registry.js';

export type SourceFormat = 'torch' | 'keras';
const SOURCES = new WeakMap<Model, { format: SourceFormat; names: Record<string, string> }>();

/** Records where an imported model's parameters came from (`layer.param` → source name). */
export function setWeightSource(model: Model, format: SourceFormat, names: Record<string, string>): void {
  SOURCES.set(model, { format, names: { ...names } });
}

/** The model's weights in its source framework's layout and names. */
export function sourceWeights(model: Model): Map<string, Tensor> {
  const src = SOURCES.get(model) ?? noSource(model.name);
  const out = new Map<string, Tensor>();
  if (src.format === 'torch') {
    const sd = torchStateDict(model, { names: src.names, numBatchesTracked: false }, "getWeights({ layout: 'source' })");
    for (const [k, t] of Object.entries(sd)) out.set(k, new Tensor(Float32Array.from(t.data as Float32Array), t.shape));
    return out;
  }
  const w = model.getWeights();
  for (const l of model.layers) {
    const name = (p: string) => src.names[`${l.name}.${p}`], get = (p: string) => w.get(`${l.name}.${p}`)!;
    if (l.type === 'lstm' || l.type === 'gru' || l.type === 'simpleRnn') { keras(out, l, name, get); continue; }
    for (const p of l.params) {
      const n = name(p.name);
      if (!n) continue;
      const v = get(p.name);
      if (l.type === 'dense' && p.name === 'weight') {   // (out, in) → (in, out)
        const [O, I] = p.shape;
        out.set(n, new Tensor(Float32Array.from({ length: v.length }, (_, k) => v[(k % O) * I + Math.floor(k / O)]), [I, O]));
      } else if (l.type === 'depthwiseConv2d' && p.name === 'weight') {
        const [KH, KW, , OC] = p.shape, C = l.inputShape[l.inputShape.length - 1];
        out.set(n, new Tensor(v.slice(), [KH, KW, C, OC / C]));
      } else out.set(n, new Tensor(v.slice(), p.shape));
    }
  }
  return out;
}

sourceLayout.weights = (m) => sourceWeights(m as Model);

/** Keras kernels of a recurrent layer: Axon gate block k is Keras block order[k] (GRU: r, z, n ← z, r, h). */
function keras(out: Map<string, Tensor>, l: Model['layers'][number], name: (p: string) => string | undefined, get: (p: string) => Float32Array): void {
  const G = l.type === 'lstm' ? 4 : l.type === 'gru' ? 3 : 1, H = l.params[1].shape[1], order = l.type === 'gru' ? [1, 0, 2] : [0, 1, 2, 3].slice(0, G);
  const back = (w: Float32Array, rows: number) => {   // (G·H, rows) → (rows, G·H)
    const t = new Float32Array(w.length);
    for (let k = 0; k < G; k++) for (let j = 0; j < H; j++) for (let r = 0; r < rows; r++) t[r * G * H + order[k] * H + j] = w[(k * H + j) * rows + r];
    return t;
  };
  const gates = (b: Float32Array) => { const t = new Float32Array(b.length); for (let k = 0; k < G; k++) t.set(b.subarray(k * H, k * H + H), order[k] * H); return t; };
  const I = l.params[0].shape[1];
  if (name('weight_ih')) out.set(name('weight_ih')!, new Tensor(back(get('weight_ih'), I), [I, G * H]));
  if (name('weight_hh')) out.set(name('weight_hh')!, new Tensor(back(get('weight_hh'), H), [H, G * H]));
  const bn = name('bias_ih');
  if (!bn) return;
  if (l.type === 'gru') out.set(bn, new Tensor(Float32Array.from([...gates(get('bias_ih')), ...gates(get('bias_hh'))]), [2, G * H]));
  else { const bi = get('bias_ih'), bh = get('bias_hh'); out.set(bn, new Tensor(gates(bi.map((v, k) => v + bh[k])), [G * H])); }   // Keras' one bias
}
