// A model's tail: its units from one layer on, run on values the host writes, in the model's own
// session (the same buffers, so the same weights: never a copy that a later fit or setWeights
// leaves behind; a rebuilt session gets its plan rebuilt). By default the values are the layer's
// output and the plan starts after it; with `head`, the layer is emitted by head instead of its
// forward (head returns the buffer the host fills: AudioStream writes a window's mel features and
// head runs only the per-clip normalization of the melSpectrogram). Batch 1, predict only.
// Every unit after the layer must read only the layer or units after it; a layer with a head must
// be one compile unit. A session holds one tail plan per (layer, head tag), shared by every
// ModelTail on it (the same tag must mean the same head): plans are not freed with the tail.
import { AxonError } from '../errors.js';
import type { Buf } from '../compile/plan.js';
import type { Ctx, IO, Layer } from '../layers/layer.js';
import { size } from '../layers/layer.js';
import type { LoadedPlan } from '../runtime/bound.js';
import type { Session } from './compiler.js';
import type { Model } from './model.js';
import { isInputRef } from './wiring.js';

/** per session, the tail plans made on it and the buffer each starts from, by `${layer}|${tag}` */
const plans = new WeakMap<Session, Map<string, { plan: LoadedPlan; into: Buf }>>();

export class ModelTail {
  /** the number of values run() takes */
  readonly inputSize: number;
  private readonly unit: number;
  private sess?: Session;
  private made?: { plan: LoadedPlan; into: Buf };

  /** `head`, with a `tag` naming it: emits the layer itself and returns the buffer run() fills. */
  constructor(readonly model: Model, readonly layer: string, private readonly head?: { tag: string; emit: (c: Ctx, io: IO, unit: Layer) => Buf }) {
    const g = model.unitGraph(), at = g.refs?.get(layer) ?? -1;
    if (at < 0 || !model.layers.some((l) => l.name === layer)) throw new AxonError('BAD_ARGUMENT', `ModelTail: no layer "${layer}" in model "${model.name}" (layers: ${model.layers.map((l) => l.name).join(', ')})`);
    if (head && g.units[at] !== model.layers.find((l) => l.name === layer)) throw new AxonError('BAD_CONFIG', `ModelTail: "${layer}" is several compile units; a head can only replace a layer that is one`);
    const from = head ? at : at + 1;
    const early = g.inputs.findIndex((js, i) => i > at && js.some((j) => isInputRef(j) || j < at));
    if (early >= 0) throw new AxonError('BAD_CONFIG', `ModelTail: ${g.units[early].name} reads a model input or a layer before "${layer}"; a tail from "${layer}" must read only it and the layers after it`);
    if (from >= g.units.length) throw new AxonError('BAD_CONFIG', `ModelTail: "${layer}" is the model's last layer; no tail follows it`);
    this.unit = from;
    this.inputSize = size(g.units[at].outputShape);
  }

  /**
   * Runs the tail on `x` (inputSize values, written into the buffer the tail starts from) and
   * returns copies of the model's outputs, in order.
   */
  async run(x: Float32Array): Promise<Float32Array[]> {
    const s = await this.model.session(1, { use: 'predict' });
    if (x.length !== this.inputSize) throw new AxonError('BAD_SHAPE', `ModelTail.run: got ${x.length} values, the tail from "${this.layer}" takes ${this.inputSize}`);
    if (s !== this.sess) { this.made = this.planOn(s); this.sess = s; }
    const { plan, into } = this.made!;
    s.bound.f32(into).set(x);
    s.bound.run(plan);
    const g = s.graphOf();
    return g.outputs.map((u) => s.bound.f32(s.outputs[u]).slice(0, size(g.units[u].outputShape)));
  }

  private planOn(s: Session): { plan: LoadedPlan; into: Buf } {
    let bySession = plans.get(s);
    if (!bySession) plans.set(s, (bySession = new Map()));
    const key = `${this.layer}|${this.head?.tag ?? ''}`;
    let made = bySession.get(key);
    if (!made) {
      const u = s.graphOf().units[this.unit], head = this.head;
      let into = s.outputs[this.unit - 1];
      const plan = s.tailPlan(this.unit, head ? (c, io) => { into = head.emit(c, io, u); } : (c, io) => u.forward(c, io));
      bySession.set(key, (made = { plan, into }));
    }
    return made;
  }
}
