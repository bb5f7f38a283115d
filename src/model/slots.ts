// Activation memory of an inference (or evaluation) session, shared by liveness.
import type { Buf, Layout } from '../compile/plan.js';
import { OutputTap, outputSize } from '../layers/layer.js';
import { UnitGraph, isInputRef } from './wiring.js';

/**
 * Output buffers shared by liveness: a unit's output takes a free buffer (smallest that fits, else
 * the largest grown, else a new one) and its buffer is freed after its last reader runs (readers
 * through aliasing units and output taps count). Outputs never share with the unit's own inputs;
 * the model outputs and what the losses read live to the end. Entries of aliasing units and taps
 * are unset (the session gives them their source's buffer or a view of it). fusionEnds (fusion_groups.ts):
 * a unit's inputs live until the end of the fusion group it starts.
 */
export function activationSlots(L: Layout, g: UnitGraph, B: number, lossReads: Array<{ pred: number }>, fusionEnds?: number[]): Buf[] {
  const { units, inputs } = g, FOREVER = Infinity;
  const owner: number[] = [], lastUse: number[] = [];
  const alias = (i: number) => units[i].aliasesInput || units[i] instanceof OutputTap;
  units.forEach((_, i) => {
    const src = inputs[i][0];
    owner[i] = alias(i) ? (isInputRef(src) ? src : owner[src]) : i;
    lastUse[i] = i;
    for (const j of inputs[i]) if (!isInputRef(j) && !isInputRef(owner[j])) lastUse[owner[j]] = Math.max(lastUse[owner[j]], fusionEnds?.[i] ?? i);
  });
  for (const j of [...g.outputs, ...lossReads.map((r) => r.pred)]) if (!isInputRef(j) && !isInputRef(owner[j])) lastUse[owner[j]] = FOREVER;
  const free: Buf[] = [], out: Buf[] = [], freedAt = new Map<number, Buf[]>();
  let made = 0;
  units.forEach((u, i) => {
    if (owner[i] === i) {
      const need = B * outputSize(u), same = free.filter((b) => L.get(b).dtype === u.outputDtype);
      const fit = same.filter((b) => L.get(b).count >= need).sort((a, b) => L.get(a).count - L.get(b).count)[0]
        ?? same.sort((a, b) => L.get(b).count - L.get(a).count)[0];
      if (fit === undefined) out[i] = L.add(`act:${made++}`, u.outputDtype, need);
      else { out[i] = fit; free.splice(free.indexOf(fit), 1); L.grow(fit, need); }
      if (lastUse[i] !== FOREVER) freedAt.set(lastUse[i], [...(freedAt.get(lastUse[i]) ?? []), out[i]]);
    }
    free.push(...(freedAt.get(i) ?? []));   // after this unit's output is placed: never its own input
  });
  return out;
}
