// Custom training loops: the loss and every parameter gradient for one batch (Model.gradients), and
// one optimizer step on one batch (Model.trainStep), on the same plans fit() runs.
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import type { Inputs } from '../model/inputs.js';
import type { Session } from '../model/compiler.js';
import { Targets, load, prepare } from './feed.js';
import { requireTrainable, type Trainable } from './trainer.js';

export interface GradientsResult {
  /** the weighted total loss of the batch */
  loss: number;
  /** dLoss/dParam by `${layer}.${param}` (or by source name, with `names`), in Axon's layout */
  grads: Map<string, Tensor>;
}

async function batchSession(model: Trainable, x: Inputs, y: Targets, what: string): Promise<{ s: Session; n: number; shapes: number[][] }> {
  if (!model.losses.length || !model.optimizer) throw new AxonError('BAD_CONFIG', `call compile({ optimizer, loss }) before ${what}()`);
  const d = prepare(model, x, y, what);
  if (d.n === 0) throw new AxonError('BAD_DATA', `${what}: no samples`);
  const s = await model.session(d.n, { shapes: d.shapes });
  load(s, d, null, 0, d.n);
  return { s, n: d.n, shapes: d.shapes };
}

/** The loss and parameter gradients of the whole batch (x, y), weights unchanged. `names`: Axon key → source name (an importer's paramSources). */
export async function gradients(model: Trainable, x: Inputs, y: Targets, opts: { names?: Record<string, string> } = {}): Promise<GradientsResult> {
  const { s, n, shapes } = await batchSession(model, x, y, 'gradients');
  s.run('grad', n, shapes);
  const grads = new Map<string, Tensor>();
  for (const u of s.units) for (const p of u.params) {
    const g = s.layout.byName(`grad:${u.name}.${p.name}`);
    if (!g) continue;   // frozen
    const key = `${u.name}.${p.name}`;
    grads.set(opts.names?.[key] ?? key, new Tensor(s.bound.f32(g.id).slice(0, g.count), p.shape));
  }
  return { loss: s.lossValue(), grads };
}

/** One optimizer step on the whole batch (x, y), as one step of fit(); returns the batch's loss before the update. */
export async function trainStep(model: Trainable, x: Inputs, y: Targets, opts: { epoch?: number } = {}): Promise<{ loss: number }> {
  if (model.losses.length && model.optimizer) requireTrainable(model, 'trainStep');
  const { s, n, shapes } = await batchSession(model, x, y, 'trainStep');
  const opt = model.optimizer!;
  model.step++;
  opt.writeStep(s, model.step, opt.schedule(opt.cfg.lr, model.step - 1, opts.epoch ?? 0));
  try { s.run('train', n, shapes); } catch (e) { model.step--; throw e; }
  return { loss: s.lossValue() };
}
