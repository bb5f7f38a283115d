// Model.summary(): Keras' table of layers, output shapes, parameter counts (and what each layer reads in a graph).
import { size } from '../layers/layer.js';
import type { Layer } from '../layers/layer.js';
import type { ModelInput } from './inputs.js';

/** What the table shows of a model (Model is one). */
export interface Summarizable { name: string; isChain: boolean; inputs: ModelInput[]; layers: Layer[]; outputNames: string[]; paramCount: number; inputsOf(name: string): string[] }

export function summarize(m: Summarizable): string {
  const graph = !m.isChain;
  const shape = (s: number[]) => `[batch, ${s.join(', ')}]`;
  const rows = [['Layer (type)', 'Output shape', 'Params', ...(graph ? ['Reads'] : [])],
    ...(graph ? m.inputs : []).map((i) => [`${i.name} (input ${i.dtype})`, `[batch, ${i.shape.map((d) => d ?? 'null').join(', ')}]`, '0', '']),
    ...m.layers.map((l) => [`${l.name} (${l.type})`, [l.outputShape, ...l.extraOutputs].map(shape).join(' '), String(l.paramCount), ...(graph ? [m.inputsOf(l.name).join(', ')] : [])])];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)) + 2);
  const line = (r: string[]) => r.map((s, c) => s.padEnd(w[c])).join('');
  const trainable = m.layers.filter((l) => l.trainable).reduce((s, l) => s + l.params.filter((p) => p.trainable).reduce((a, p) => a + size(p.shape), 0), 0);
  const rule = '─'.repeat(w.reduce((a, b) => a + b, 0));
  return [`Model: ${m.name}`, rule, line(rows[0]), rule, ...rows.slice(1).map(line), rule,
    ...(graph ? [`Outputs: ${m.outputNames.join(', ')}`] : []),
    `Total params: ${m.paramCount}`, `Trainable params: ${trainable}`, `Non-trainable params: ${m.paramCount - trainable}`].join('\n');
}
