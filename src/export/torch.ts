// Axon model → plain safetensors in PyTorch's names and layouts, for `model.load_state_dict`:
// Dense weight (out, in) as is, conv weights (KH, KW, C/g, OC) → (OC, C/g, KH, KW) ((OC, C/g, K) for
// Conv1D), Conv2DTranspose (KH, KW, F/g, C) → ConvTranspose2d's (C, F/g, KH, KW), BatchNorm
// weight/bias/running_mean/running_var (+ num_batches_tracked). Features after a
// Flatten of a channels-last (H, W, C) tensor are reordered to PyTorch's (C, H, W) flatten order in
// the next Dense's columns (and any BatchNorm in between), so the weights fit the NCHW PyTorch model.
import { AxonError } from '../errors.js';
import { encodeSafetensors, StTensorIn } from '../format/safetensors.js';
import type { Model } from '../model/model.js';
import type { Layer } from '../layers/layer.js';
import { channelsFirstIndex, hwioToOihw, refuse, EXPORTABLE } from './weights.js';

export interface TorchExportOptions {
  /** PyTorch name for an Axon parameter key (`layer.param`); default: the key itself. A map (e.g. an ONNX import's paramSources) or a function. */
  names?: Record<string, string> | ((key: string) => string | undefined);
  /** write BatchNorm's num_batches_tracked (I64 scalar 0) as torch's state_dict has it (default true) */
  numBatchesTracked?: boolean;
  metadata?: Record<string, string>;
}

export function exportTorchSafetensors(model: Model, opts: TorchExportOptions = {}): Uint8Array {
  return encodeSafetensors(torchStateDict(model, opts), { format: 'pt', ...opts.metadata });
}

/** The tensors exportTorchSafetensors writes, by (PyTorch) name. */
export function torchStateDict(model: Model, opts: TorchExportOptions = {}, who = 'exportTorchSafetensors'): Record<string, StTensorIn> {
  refuse(who, model.layers.filter((l) => !EXPORTABLE.has(l.type)));
  const w = model.getWeights(), out: Record<string, StTensorIn> = {};
  const lookup = (k: string) => (typeof opts.names === 'function' ? opts.names(k) : opts.names?.[k]);
  // unmapped keys follow their layer's weight: fc.weight ⇒ fc.num_batches_tracked
  const rename = (k: string) => {
    const own = lookup(k), w = lookup(k.replace(/\.[^.]+$/, '.weight'));
    return own ?? (w?.endsWith('.weight') ? w.slice(0, -6) + k.slice(k.lastIndexOf('.') + 1) : k);
  };
  const put = (k: string, shape: number[], data: Float32Array) => { out[rename(k)] = { dtype: 'F32', shape, data }; };
  let idx: Int32Array | null = null;   // flat features: torch index of Axon feature i
  for (const l of model.layers) {
    const key = (p: string) => `${l.name}.${p}`, get = (p: string) => w.get(key(p))!;
    switch (l.type) {
      case 'dense': {
        const [N, K] = l.params[0].shape, src = get('weight'), t = idx ? new Float32Array(src.length) : src;
        if (idx) for (let o = 0; o < N; o++) for (let i = 0; i < K; i++) t[o * K + idx[i]] = src[o * K + i];
        put(key('weight'), [N, K], t);
        if (l.params.some((p) => p.name === 'bias')) put(key('bias'), [N], get('bias'));
        idx = null;
        break;
      }
      case 'conv2d': case 'depthwiseConv2d': case 'conv1d': {
        const [KH, KW, Cg, OC] = l.params[0].shape;
        put(key('weight'), l.type === 'conv1d' ? [OC, Cg, KW] : [OC, Cg, KH, KW], hwioToOihw(get('weight'), l.params[0].shape));
        if (l.params.some((p) => p.name === 'bias')) put(key('bias'), [OC], get('bias'));
        break;
      }
      case 'conv2dTranspose': {   // ConvTranspose2d: (C, F/g, KH, KW)
        const [KH, KW, Fg, C] = l.params[0].shape;
        put(key('weight'), [C, Fg, KH, KW], hwioToOihw(get('weight'), l.params[0].shape));
        if (l.params.some((p) => p.name === 'bias')) put(key('bias'), [Fg * (l as Layer & { groups: number }).groups], get('bias'));
        break;
      }
      case 'slice':
        if (idx) throw new AxonError('UNSUPPORTED', `exportTorchSafetensors: ${l.name} slices flattened channels-last features; PyTorch's flatten order differs, so the following weights have no PyTorch equivalent`);
        break;
      case 'batchNormalization':
        for (const p of ['weight', 'bias', 'running_mean', 'running_var']) {
          const v = get(p), t = idx && l.inputShape.length === 1 ? new Float32Array(v.length) : v;
          if (t !== v) v.forEach((x, i) => { t[idx![i]] = x; });
          put(key(p), [v.length], t);
        }
        if (opts.numBatchesTracked ?? true) out[rename(key('num_batches_tracked'))] = { dtype: 'I64', shape: [], data: new BigInt64Array(1) };
        break;
      case 'flatten': case 'reshape':
        if (l.inputShape.length >= 2 && l.outputShape.length === 1) idx = channelsFirstIndex(l.inputShape);
        break;
      case 'globalAveragePooling2d': idx = null; break;
    }
  }
  return out;
}
