// Which units the plan fusions (src/compile/fuse.ts) may merge into one instruction: a convolution (or a
// Dense layer) and the batch norm and/or activation that alone read its output, and a zero padding before
// a convolution. An inference session's activation slots
// keep the convolution's inputs alive through the group (slots.ts), so that the group's output never
// takes their memory: the fused instruction still reads them while it writes that output.
import { OutputTap, type Layer } from '../layers/layer.js';
import { UnitGraph, isInputRef } from './wiring.js';

/** The layer types whose output a fused instruction takes through a batch norm or an activation. */
const GROUP_HEADS: ReadonlySet<string> = new Set(['conv2d', 'depthwiseConv2d', 'conv1d', 'dense']);
/** The convolutions that take a ZeroPadding2D before them as their own padding. */
const PADDED_HEADS: ReadonlySet<string | undefined> = new Set(['conv2d', 'depthwiseConv2d']);
const FUSED_ACTIVATIONS: ReadonlySet<string> = new Set(['relu', 'leakyRelu', 'relu6']);
const fusedActivation = (u: Layer | undefined) => u?.type === 'activation' && FUSED_ACTIVATIONS.has((u as Layer & { activation: string }).activation);

/** Per unit, whether its output is read by exactly one unit, the next, which writes its own output (not an alias), and is no model output. */
function onlyNextReads(g: UnitGraph): boolean[] {
  const { units, inputs, outputs } = g, readers = units.map(() => [] as number[]);
  inputs.forEach((js, i) => js.forEach((j) => { if (!isInputRef(j)) readers[j].push(i); }));
  return units.map((u, i) => readers[i].length === 1 && readers[i][0] === i + 1 && !units[i + 1].aliasesInput
    && !(units[i + 1] instanceof OutputTap) && !outputs.includes(i) && !u.aliasesInput);
}

/** Names of the units whose output only the next unit reads (by unit, not by buffer: an inference session's units share buffers). */
export function readOnlyByNext(g: UnitGraph): Set<string> {
  const only = onlyNextReads(g);
  return new Set(g.units.filter((_, i) => only[i]).map((u) => u.name));
}

/**
 * Per unit, the last unit of the fusion group it starts (itself when it starts none). A ZeroPadding2D
 * whose output only a 2D convolution reads starts that convolution's group (the convolution takes its padding).
 */
export function fusionEnds(g: UnitGraph): number[] {
  const { units } = g, only = onlyNextReads(g);
  const ends = units.map((u, i) => {
    if (!GROUP_HEADS.has(u.type) || !only[i]) return i;
    if (fusedActivation(units[i + 1])) return i + 1;
    if (units[i + 1]?.type !== 'batchNormalization') return i;
    return only[i + 1] && fusedActivation(units[i + 2]) ? i + 2 : i + 1;
  });
  return ends.map((e, i) => (units[i].type === 'zeroPadding2d' && only[i] && PADDED_HEADS.has(units[i + 1]?.type) ? ends[i + 1] : e));
}
