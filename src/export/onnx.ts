// Axon model → ONNX (opset 13 by default). The exported graph takes the Axon model's own input
// layout, channels-last (N, H, W, C), and transposes to NCHW in the graph where convolutions and
// pools need it (and back before Flatten/Reshape, so Dense weights are written as they are). With
// `inputLayout: 'nchw'` the graph takes (N, C, H, W) like a PyTorch model and spatial outputs stay NCHW.
// Graph models export their wiring: each unit reads its inputs' ONNX tensors; Add and Concatenate
// bring their inputs to one layout first. Models with several inputs and outputs export them all
// (i32 inputs as int64, open dimensions as named ones); sequence layers (embeddings, layer norm,
// attention, Dense on tokens) are written by onnx_seq.ts.
import { AxonError } from '../errors.js';
import type { Model } from '../model/model.js';
import { Layer, MergeLayer, size } from '../layers/layer.js';
import { INPUT } from '../model/compiler.js';
import { Conv2D } from '../layers/conv.js';
import { MaxPool2D, AvgPool2D, ZeroPadding2D } from '../layers/pool.js';
import { BatchNormalization } from '../layers/norm.js';
import { Activation, SELU_ALPHA, SELU_SCALE } from '../layers/activation.js';
import { Dense } from '../layers/dense.js';
import { Conv2DTranspose } from '../layers/conv_transpose.js';
import { Pad2D, Slice } from '../layers/gather.js';
import { OnnxBuilder, af } from './onnx_builder.js';
import { EXPORTABLE, hwioToOihw, padsOf, refuse } from './weights.js';
import { emitSequence, isSequenceUnit } from './onnx_seq.js';
import { DT } from '../import/onnx_proto.js';

export interface OnnxExportOptions {
  /** 'nhwc' (default): the Axon layout; 'nchw': channels-first input and spatial outputs (one-input models) */
  inputLayout?: 'nhwc' | 'nchw';
  /** 13 (default) … 17; from 14 on hardSwish is one HardSwish node */
  opset?: number;
  /** the graph input's and output's names for one-input, one-output models (default "input", "output"); others keep the model's names */
  inputName?: string;
  outputName?: string;
}

export async function exportOnnx(model: Model, opts: OnnxExportOptions = {}): Promise<Uint8Array> {
  const { units, inputs, outputs } = model.unitGraph(), opset = opts.opset ?? 13, single = model.inputs.length === 1 && outputs.length === 1;
  if (opset < 13 || opset > 17) throw new AxonError('BAD_ARGUMENT', `exportOnnx: opset ${opset} is not supported (13–17)`);
  refuse('exportOnnx', units.filter((u) => !EXPORTABLE.has(u.type)));
  const b = new OnnxBuilder(model.name), w = model.getWeights(), nchw = opts.inputLayout === 'nchw';
  if (nchw && (model.inputs.length !== 1 || model.inputs[0].dtype !== 'f32')) throw new AxonError('BAD_ARGUMENT', 'exportOnnx: inputLayout "nchw" applies to models with one f32 input');
  const inNames = single ? [opts.inputName ?? 'input'] : model.inputs.map((i) => i.name), rank = model.inputs[0].shape.length;
  let cur = inNames[0], cf = nchw && rank >= 2;   // cf: the ONNX tensor is channels-first of the Axon shape
  const perm = (toCf: boolean, r: number) => (toCf ? [0, r, ...Array.from({ length: r - 1 }, (_, i) => i + 1)] : [0, ...Array.from({ length: r - 1 }, (_, i) => i + 2), 1]);
  const layout = (u: Layer, want: boolean, r = u.inputShape.length) => {
    if (r >= 2 && cf !== want) { cur = b.node('Transpose', [cur], { perm: perm(want, r) }, { name: `${u.name}/to_${want ? 'nchw' : 'nhwc'}` }); cf = want; }
  };
  const param = (u: Layer, p: string, data?: Float32Array, dims?: number[]) => {
    const key = `${u.name}.${p}`, def = u.params.find((q) => q.name === p)!;
    return b.init(key, dims ?? def.shape, data ?? w.get(key)!);
  };
  const node = (u: Layer, op: string, inputs: string[], attrs = {}) => { cur = b.node(op, [cur, ...inputs], attrs, { name: u.name }); };

  // each unit's output tensor and whether it is channels-first
  const states: Array<{ cur: string; cf: boolean }> = [], starts = inNames.map((n, k) => ({ cur: n, cf: k === 0 && cf }));
  const at = (j: number) => (j <= INPUT ? starts[INPUT - j] : states[j]);
  const seq = { b, w, opset };
  units.forEach((u, i) => {
    ({ cur, cf } = at(inputs[i][0]));
    if (isSequenceUnit(u)) { layout(u, false); cur = emitSequence(seq, u, [cur, ...inputs[i].slice(1).map((j) => at(j).cur)])!; }
    else if (u instanceof MergeLayer) merge(u, inputs[i].map(at)); else emit(u);
    states.push({ cur, cf });
  });
  /** Add / Concatenate: inputs brought to the first one's layout. */
  function merge(u: MergeLayer, ins: Array<{ cur: string; cf: boolean }>): void {
    const r = u.inputShape.length, want = ins[0].cf;
    const names = ins.map((s, k) => {
      const rk = u.inputShapes[k].length;
      return s.cf === want || rk < 2 ? s.cur : b.node('Transpose', [s.cur], { perm: perm(want, rk) }, { name: `${u.name}/in${k}_to_${want ? 'nchw' : 'nhwc'}` });
    });
    cf = want;
    if (u.type === 'add') { cur = names.slice(1).reduce((acc, n, k) => b.node('Add', [acc, n], {}, { name: k === names.length - 2 ? u.name : `${u.name}/${k}` }), names[0]); return; }
    if (u.type === 'multiply') {
      // a gate of fewer values (per channel or per sample) gets the full rank so ONNX broadcasting lines it up
      const full = u.inputShapes.findIndex((x) => x.join() === u.outputShape.join()), g = 1 - full, G = size(u.inputShapes[g]);
      if (u.inputShapes[g].join() !== u.outputShape.join()) {
        const C = G === 1 ? 1 : u.outputShape[r - 1], ones = Array<number>(r - 1).fill(1);
        names[g] = b.node('Reshape', [ins[g].cur, b.ints(`${u.name}.gate_shape`, [-1, ...(cf ? [C, ...ones] : [...ones, C])])], {}, { name: `${u.name}/gate` });
      }
      cur = b.node('Mul', names, {}, { name: u.name });
      return;
    }
    const ax = (u.config().axis as number) < 0 ? r + (u.config().axis as number) : (u.config().axis as number);
    cur = b.node('Concat', names, { axis: cf ? (ax === r - 1 ? 1 : ax + 2) : ax + 1 }, { name: u.name });
  }
  function emit(u: Layer): void {
    if (u instanceof Dense) { node(u, 'Gemm', [param(u, 'weight'), ...(u.useBias ? [param(u, 'bias')] : [])], { transB: 1 }); return; }
    if (u instanceof Conv2D) {
      layout(u, true);
      const conv1d = u.type === 'conv1d', [KH, KW] = u.kernel, wd = u.params[0].shape;
      const [t, l, bo, r] = padsOf(u, u.kernel, u.dilation), oihw = hwioToOihw(w.get(`${u.name}.weight`)!, wd);
      const attrs = conv1d
        ? { kernel_shape: [KW], strides: [u.strides[1]], dilations: [u.dilation[1]], pads: [l, r], group: u.groups }
        : { kernel_shape: [KH, KW], strides: u.strides, dilations: u.dilation, pads: [t, l, bo, r], group: u.groups };
      node(u, 'Conv', [param(u, 'weight', oihw, conv1d ? [wd[3], wd[2], KW] : [wd[3], wd[2], KH, KW]), ...(u.useBias ? [param(u, 'bias')] : [])], attrs);
      return;
    }
    if (u instanceof MaxPool2D || u instanceof AvgPool2D) {
      layout(u, true);
      const [t, l, bo, r] = padsOf(u, u.pool, [1, 1]), oneD = u.type === 'maxPool1d' || u.type === 'avgPool1d';
      const attrs = oneD ? { kernel_shape: [u.pool[1]], strides: [u.strides[1]], pads: [l, r] } : { kernel_shape: u.pool, strides: u.strides, pads: [t, l, bo, r] };
      node(u, u instanceof MaxPool2D ? 'MaxPool' : 'AveragePool', [], u instanceof AvgPool2D ? { ...attrs, count_include_pad: u.countIncludePad ? 1 : 0 } : attrs);
      return;
    }
    if (u instanceof Conv2DTranspose) {
      layout(u, true);
      const wd = u.params[0].shape, ct = hwioToOihw(w.get(`${u.name}.weight`)!, wd);   // (KH, KW, F/g, C) → (C, F/g, KH, KW)
      node(u, 'ConvTranspose', [param(u, 'weight', ct, [wd[3], wd[2], wd[0], wd[1]]), ...(u.useBias ? [param(u, 'bias')] : [])],
        { kernel_shape: u.kernel, strides: u.strides, dilations: u.dilation, pads: u.pads, output_padding: u.outputPadding, group: u.groups });
      return;
    }
    if (u instanceof Pad2D) {
      layout(u, true);
      const [t, l, bo, r] = u.pads, [cb, ce] = u.channels;
      node(u, 'Pad', [b.ints(`${u.name}.pads`, [0, cb, t, l, 0, ce, bo, r]), ...(u.mode === 'constant' ? [b.init(`${u.name}.value`, [], [u.value])] : [])], { mode: u.mode });
      return;
    }
    if (u instanceof Slice) {   // one Gather per sliced axis, on the Axon (channels-last) layout
      layout(u, false);
      u.indices.forEach((l, i) => { if (l) cur = b.node('Gather', [cur, b.ints(`${u.name}.indices${i}`, l)], { axis: i + 1 }, { name: `${u.name}/axis${i + 1}` }); });
      return;
    }
    switch (u.type) {
      case 'globalAveragePooling2d': layout(u, true); node(u, 'GlobalAveragePool', []); cur = b.node('Flatten', [cur], {}, { name: `${u.name}/flatten` }); cf = false; break;
      case 'zeroPadding2d': {
        layout(u, true);
        const [t, l, bo, r] = (u as ZeroPadding2D).pads;
        node(u, 'Pad', [b.ints(`${u.name}.pads`, [0, 0, t, l, 0, 0, bo, r])]);
        break;
      }
      case 'batchNormalization': {
        const bn = u as BatchNormalization;
        if (u.inputShape.length > 1) layout(u, true);
        node(u, 'BatchNormalization', ['weight', 'bias', 'running_mean', 'running_var'].map((p) => param(u, p)), { epsilon: af(bn.eps), momentum: af(1 - bn.momentum) });
        break;
      }
      case 'flatten': case 'reshape': {
        layout(u, false);
        if (u.type === 'flatten') node(u, 'Flatten', []);
        else node(u, 'Reshape', [b.ints(`${u.name}.shape`, [-1, ...u.outputShape])]);
        break;
      }
      case 'dropout': break;   // identity at inference
      case 'activation': activation(u as Activation); break;
    }
  }
  function activation(u: Activation): void {
    const softmaxAxis = cf ? 1 : -1;
    switch (u.activation) {
      case 'linear': return;
      case 'relu': node(u, 'Relu', []); return;
      case 'leakyRelu': node(u, 'LeakyRelu', [], { alpha: af(u.alpha) }); return;
      case 'sigmoid': node(u, 'Sigmoid', []); return;
      case 'tanh': node(u, 'Tanh', []); return;
      case 'softmax': node(u, 'Softmax', [], { axis: softmaxAxis }); return;
      case 'logSoftmax': node(u, 'LogSoftmax', [], { axis: softmaxAxis }); return;
      case 'relu6': node(u, 'Clip', [b.init(`${u.name}.min`, [], [0]), b.init(`${u.name}.max`, [], [6])]); return;
      case 'hardSigmoid': node(u, 'HardSigmoid', [], { alpha: af(1 / 6), beta: af(0.5) }); return;
      case 'hardSwish':
        if (opset >= 14) { node(u, 'HardSwish', []); return; }
        cur = b.node('Mul', [cur, b.node('HardSigmoid', [cur], { alpha: af(1 / 6), beta: af(0.5) }, { name: `${u.name}/hardsigmoid` })], {}, { name: u.name });
        return;
      case 'elu': node(u, 'Elu', [], { alpha: af(u.alpha) }); return;
      case 'selu': node(u, 'Selu', [], { alpha: af(SELU_ALPHA), gamma: af(SELU_SCALE) }); return;
      case 'swish': cur = b.node('Mul', [cur, b.node('Sigmoid', [cur], {}, { name: `${u.name}/sigmoid` })], {}, { name: u.name }); return;
      case 'gelu': case 'geluTanh': {   // no Gelu op before opset 20: x * 0.5 (1 + erf(x / sqrt 2)) or the tanh form, as torch exports them
        const x = cur, k = (name: string, v: number) => b.init(`${u.name}.${name}`, [], [v]), nm = (s: string) => ({ name: `${u.name}/${s}` });
        const inner = u.activation === 'gelu'
          ? b.node('Erf', [b.node('Div', [x, k('sqrt2', Math.SQRT2)], {}, nm('div'))], {}, nm('erf'))
          : b.node('Tanh', [b.node('Mul', [b.node('Add', [x, b.node('Mul', [b.node('Mul', [b.node('Mul', [x, x], {}, nm('x2')), x], {}, nm('x3')), k('c', 0.044715)], {}, nm('cx3'))], {}, nm('add')), k('k', Math.sqrt(2 / Math.PI))], {}, nm('u'))], {}, nm('tanh'));
        const half = b.node('Mul', [x, b.node('Add', [inner, k('one', 1)], {}, nm('plus1'))], {}, nm('mul'));
        cur = b.node('Mul', [half, k('half', 0.5)], {}, { name: u.name });
      }
    }
  }
  // one output: "output" (or outputName); several: each the tensor of its layer (named after it), through an Identity where it is an input or another output's
  const outNames = outputs.map((j, k) => {
    ({ cur, cf } = states[j]);
    if (cf && !nchw) layout(units[j], false, units[j].outputShape.length);
    if (!single && !inNames.includes(cur) && outputs.indexOf(j) === k) return cur;
    const name = single ? opts.outputName ?? 'output' : `${model.outputNames[k].replace(/[^\w/.-]/g, '_')}_${k}`;
    return b.node('Identity', [cur], {}, { name: single ? 'output' : `${name}/identity`, outputs: [name] });
  });
  const dimsOf = (k: number) => {
    const s = model.inputs[k].shape.map((d, i) => d ?? `d${i + 1}`);   // open dimensions named by their axis (shared across inputs)
    return nchw && rank >= 2 ? [s[rank - 1], ...s.slice(0, -1)] : s;
  };
  const ins = model.inputs.map((m, k) => ({ name: inNames[k], dims: ['N', ...dimsOf(k)], elem: m.dtype === 'i32' ? DT.INT64 : DT.FLOAT }));
  const doc = `Exported by Axon from "${model.name}". ${ins.map((i) => `Input "${i.name}": (${i.dims}) ${i.elem === DT.INT64 ? 'int64' : 'float32'}`).join('; ')}, ${nchw ? 'channels-first' : 'channels-last as in Axon'}.`;
  return b.buildIO(ins, outNames, { opset, producer: 'axon', doc });
}
