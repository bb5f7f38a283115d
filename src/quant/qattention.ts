// MultiHeadAttention with int8 projections, for dynamic quantization (quantizeModel mode 'dynamic'):
// the Q/K/V/O weights int8 symmetric per output channel (q_weight, q_weight.scale, ...), packed once
// per session; each projection quantizes its input with the call's own range and runs the int8 GEMM
// with f32 output (src/quant/qdense.ts linearDynamic). Scores, softmax and the context stay f32, as
// in onnxruntime's dynamic quantization of attention. Inference only.
import type { Buf } from '../compile/plan.js';
import { Ctx, ParamDef } from '../layers/layer.js';
import { MultiHeadAttention, MultiHeadAttentionOptions } from '../layers/attention.js';
import { linearDynamic, packDynamic, weightParams } from './qdense.js';
import { registerLayerTypes } from '../layers/families.js';

export class QMultiHeadAttentionDynamic extends MultiHeadAttention {
  override readonly type: string = 'qmultiHeadAttentionDynamic';
  constructor(opts: MultiHeadAttentionOptions) {
    super({ ...opts, trainable: false });
  }
  override get perCall(): boolean { return true; }
  /** An int8 parameter set: values come from quantizeModel or the model file. */
  qparam(name: string, shape: number[], dtype: 'f32' | 'i8' | 'i32'): ParamDef {
    return { name, shape, init: 'zeros', fans: { fanIn: 1, fanOut: 1 }, trainable: false, regularize: false, dtype };
  }
  private get shapedProjections(): Array<[string, number, number]> {
    const all: Array<[string, number, number]> = [['q', this.E, this.Dq], ['k', this.E, this.Dkv], ['v', this.E, this.Dkv], ['o', this.Dq, this.E]];
    return all.filter(([p]) => this.projections.includes(p));   // (memoryKv: q and o only)
  }
  override buildAll(shapes: number[][]): number[] {
    const out = super.buildAll(shapes);
    this.params = [...this.shapedProjections.flatMap(([p, N, K]) => weightParams(this, [N, K], N, `${p}_`)),
      ...(this.useBias ? this.shapedProjections.map(([p, N]) => this.qparam(`${p}_bias`, [N], 'f32')) : [])];
    return out;
  }
  override prepare(c: Ctx): void { for (const [p, N, K] of this.shapedProjections) packDynamic(c, `${p}_`, N, K); }
  protected override linear(c: Ctx, y: Buf, x: Buf, p: string, rows: number, N: number, K: number): void {
    linearDynamic(c, `${p}_`, y, x, this.useBias ? c.param(`${p}_bias`) : undefined, rows, N, K, (rows / c.batch) * K);
  }
  override backward(): void {}
}

registerLayerTypes({ qmultiHeadAttentionDynamic: (c) => new QMultiHeadAttentionDynamic(c as unknown as MultiHeadAttentionOptions) });   // (src/layers/families.ts: the transformer family)
