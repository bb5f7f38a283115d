// Plan peepholes for inference plans. A Conv2D whose bias-added output only feeds the (leaky) ReLU
// right after it: conv2d_bias_fwd + leaky_relu_fwd become one conv2d_bias_act_fwd that writes the
// ReLU's output directly (one pass over the activations fewer; the same float ops, bit-identical).
// The conv's own output buffer is then never written, so the caller passes the buffers nothing else
// reads (in a training plan the ReLU's backward reads it: no fusion there). Not fused either when
// the ReLU's output shares memory with the conv's input.
import { Buf, Instr, Plan } from './plan.js';
import { convY } from '../op_args.js';

const root = (plan: Plan, id: Buf): Buf => { const b = plan.layout.get(id); return b.root < 0 ? id : b.root; };
const named = (ins: Instr): Record<string, number> => Object.fromEntries(ins.op.args.map((a, k) => [a.name, ins.args[k]]));

/** Fuses conv2d_bias_fwd (output in `onlyReadByNext`) + the leaky_relu_fwd over all of that output, in place. */
export function fuseConvActivation(plan: Plan, onlyReadByNext: ReadonlySet<Buf>): void {
  const ins = plan.instrs;
  for (let i = 0; i + 1 < ins.length; i++) {
    if (ins[i].op.name !== 'conv2d_bias_fwd' || ins[i + 1].op.name !== 'leaky_relu_fwd') continue;
    const c = named(ins[i]), r = named(ins[i + 1]);
    if (r.x !== c.y || !onlyReadByNext.has(c.y) || r.n !== convY(c)) continue;
    // the ReLU's output may reuse the memory of the conv's input (liveness): the conv cannot write there
    if ([c.x, c.w, c.b, c.scratch].some((k) => root(plan, k) === root(plan, r.y))) continue;
    const fused = new Plan(plan.layout).emit('conv2d_bias_act_fwd', { ...c, y: r.y, alpha: r.alpha }, ins[i].label).instrs[0];
    ins.splice(i, 2, fused);
  }
}
