// Transfer learning for text: a pretrained encoder (an imported ONNX model whose output is the last
// hidden state [steps, features], e.g. a BERT-style encoder from torch.onnx.export) becomes a
// classifier: the encoder frozen (`freeze`, as for images in model/transfer.ts), a pooling layer
// (masked mean over the real tokens, or the first token) and a new Dense head appended. Only the
// head trains; the encoder's weights travel with the model file unchanged.
//
//   const imp = await importOnnx(bytes);
//   const m = textClassifierFromEncoder(imp, { classes: 10 });     // frozen encoder + mean pooling + dense(10, softmax)
//   m.compile({ optimizer: { type: 'adamw', lr: 3e-3 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
//   await m.fit({ input_ids, attention_mask }, labels, { epochs: 40 });
import { AxonError } from '../errors.js';
import type { OnnxImport } from '../import/onnx.js';
import * as layers from '../layers/index.js';
import type { ActivationName } from '../layers/activation.js';
import type { Model } from '../model/model.js';
import { freeze } from '../model/transfer.js';

export interface TextTransferOptions {
  /** the number of classes (the new head's width) */
  classes: number;
  /** masked mean over the tokens the mask keeps (default), or the first token ([CLS]) */
  pooling?: 'mean' | 'first';
  /** hidden Dense layers between the pooling and the output layer (default: none) */
  hidden?: Array<{ units: number; activation?: ActivationName }>;
  /** freeze the encoder (default true); false fine-tunes it together with the head */
  freeze?: boolean;
  /** which ONNX output is the last hidden state (default: the only one, or the one named "last_hidden_state" / "hidden") */
  output?: string;
  /** which model inputs take the ids and the mask (default: found by name: *ids*, *mask*) */
  inputs?: { ids?: string; mask?: string };
  /** the name of the output layer (default "intent") */
  name?: string;
}

/** Which imported inputs take the ids and the mask. */
export function encoderInputs(model: Model, given: { ids?: string; mask?: string } = {}): { ids: string; mask: string } {
  const names = model.inputs.map((d) => d.name);
  const pick = (what: 'ids' | 'mask', re: RegExp) => {
    const n = given[what] ?? names.find((x) => re.test(x));
    if (!n || !names.includes(n)) throw new AxonError('BAD_CONFIG', `the encoder has no ${what} input${given[what] ? ` "${given[what]}"` : ''} (its inputs: ${names.join(', ')}); name it in inputs.${what}`);
    const d = model.inputs.find((x) => x.name === n)!;
    if (d.dtype !== 'i32' || d.shape.length !== 1) throw new AxonError('BAD_CONFIG', `the encoder's input "${n}" is not integer [steps] (${d.dtype} [${d.shape}]), so it cannot take token ${what}`);
    return n;
  };
  const ids = pick('ids', /ids/i), mask = pick('mask', /mask/i);
  if (names.length !== 2) throw new AxonError('BAD_CONFIG', `the encoder reads ${names.length} inputs (${names.join(', ')}); a text classifier feeds exactly the ids and the mask`);
  return { ids, mask };
}

/**
 * The imported encoder (changed in place and returned), frozen unless `freeze: false`, with a
 * pooling layer and a new head after its hidden-state output; the head is the model's one output.
 */
export function textClassifierFromEncoder(imp: OnnxImport, o: TextTransferOptions): Model {
  const m = imp.model;
  if (!Number.isInteger(o.classes) || o.classes < 2) throw new AxonError('BAD_CONFIG', `classes must be an integer ≥ 2, got ${JSON.stringify(o.classes)}`);
  const out = o.output ? imp.outputs.find((x) => x.onnx === o.output)
    : imp.outputs.length === 1 ? imp.outputs[0] : imp.outputs.find((x) => /^(last_hidden_state|hidden)$/.test(x.onnx));
  if (!out) throw new AxonError('BAD_CONFIG', `which encoder output is the hidden state? the ONNX outputs are ${imp.outputs.map((x) => x.onnx).join(', ')}; name one in output`);
  const shape = m.refShape(out.ref);
  if (shape.length !== 2) throw new AxonError('BAD_CONFIG', `the encoder output "${out.onnx}" is [${shape}] per sample, not a sequence [steps, features]`);
  const { mask } = encoderInputs(m, o.inputs);
  if (o.freeze !== false) freeze(m);
  if ((o.pooling ?? 'mean') === 'mean') m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [out.ref, mask] });
  else if (o.pooling === 'first') {
    m.add(layers.slice({ indices: [[0], null], name: 'first' }), { inputs: [out.ref] });
    m.add(layers.flatten({ name: 'pool' }));
  } else throw new AxonError('BAD_CONFIG', `pooling must be "mean" or "first", got ${JSON.stringify(o.pooling)}`);
  (o.hidden ?? []).forEach((h, i) => m.add(layers.dense({ units: h.units, activation: h.activation ?? 'gelu', name: `head_${i + 1}` })));
  const name = o.name ?? 'intent';
  m.add(layers.dense({ units: o.classes, activation: 'softmax', name }));
  m.setOutputs([name]);
  return m;
}
