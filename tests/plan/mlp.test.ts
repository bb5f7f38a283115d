// The plan runner: a 2-layer MLP's forward, loss, backward and Adam update as ONE plan call,
// checked against the same kernels called one by one (bit-identical) and against an
// independent float64 implementation (tolerance), plus the plan's input validation.
import { describe, it, expect, beforeAll } from 'vitest';
import { engine, randn, randInt, expectClose } from '../helpers.js';
import { Engine } from '../../src/runtime/engine.js';
import { Layout, Plan } from '../../src/compile/plan.js';
import { BoundLayout } from '../../src/runtime/bound.js';
import { gemmScratchFloats } from '../../src/ops.js';
import { AxonError } from '../../src/errors.js';

const B = 5, I = 7, H = 9, O = 4;
const LR = 0.01, B1 = 0.9, B2 = 0.999, EPS = 1e-8;

function mlpLayout() {
  const L = new Layout();
  const buf = (name: string, n: number, dt: 'f32' | 'i32' = 'f32') => L.add(name, dt, n);
  const ids = {
    x: buf('x', B * I), y: buf('y', B, 'i32'),
    w1: buf('w1', H * I), b1: buf('b1', H), w2: buf('w2', O * H), b2: buf('b2', O),
    h1: buf('h1', B * H), a1: buf('a1', B * H), z: buf('z', B * O), loss: buf('loss', 1),
    dz: buf('dz', B * O), da1: buf('da1', B * H), dh1: buf('dh1', B * H),
    dw1: buf('dw1', H * I), db1: buf('db1', H), dw2: buf('dw2', O * H), db2: buf('db2', O),
    hp: buf('hp', 10), scratch: buf('scratch', Math.max(gemmScratchFloats(B, H, I), gemmScratchFloats(O, H, B), gemmScratchFloats(B, O, H), 4)),
  };
  const state: Record<string, [number, number]> = {};
  for (const [p, n] of [['w1', H * I], ['b1', H], ['w2', O * H], ['b2', O]] as const) state[p] = [buf(`${p}.m`, n), buf(`${p}.v`, n)];
  return { L, ids, state };
}

/** Weights are (out, in) as in PyTorch: y = x W^T + b. */
function trainStep(L: Layout, ids: ReturnType<typeof mlpLayout>['ids'], state: Record<string, [number, number]>): Plan {
  const P = new Plan(L, 'train');
  const s = ids.scratch;
  for (const g of ['dz', 'da1', 'dh1', 'dw1', 'db1', 'dw2', 'db2'] as const) P.emit('fill', { y: ids[g], v: 0, n: L.get(ids[g]).count });
  P.emit('gemm', { c: ids.h1, a: ids.x, b: ids.w1, scratch: s, M: B, N: H, K: I, transA: 0, transB: 1, accumulate: 0 }, 'dense1');
  P.emit('bias_add', { y: ids.h1, b: ids.b1, M: B, N: H });
  P.emit('leaky_relu_fwd', { y: ids.a1, x: ids.h1, n: B * H, alpha: 0 });
  P.emit('gemm', { c: ids.z, a: ids.a1, b: ids.w2, scratch: s, M: B, N: O, K: H, transA: 0, transB: 1, accumulate: 0 }, 'dense2');
  P.emit('bias_add', { y: ids.z, b: ids.b2, M: B, N: O });
  P.emit('xent_logits_fwd', { loss: ids.loss, x: ids.z, y: ids.y, rows: B, cols: O, scale: 1 / B });
  P.emit('xent_logits_bwd', { dx: ids.dz, x: ids.z, y: ids.y, rows: B, cols: O, scale: 1 / B });
  P.emit('gemm', { c: ids.dw2, a: ids.dz, b: ids.a1, scratch: s, M: O, N: H, K: B, transA: 1, transB: 0, accumulate: 1 });
  P.emit('bias_grad', { db: ids.db2, dy: ids.dz, M: B, N: O });
  P.emit('gemm', { c: ids.da1, a: ids.dz, b: ids.w2, scratch: s, M: B, N: H, K: O, transA: 0, transB: 0, accumulate: 1 });
  P.emit('leaky_relu_bwd', { dx: ids.dh1, dy: ids.da1, x: ids.h1, n: B * H, alpha: 0 });
  P.emit('gemm', { c: ids.dw1, a: ids.dh1, b: ids.x, scratch: s, M: H, N: I, K: B, transA: 1, transB: 0, accumulate: 1 });
  P.emit('bias_grad', { db: ids.db1, dy: ids.dh1, M: B, N: H });
  for (const p of ['w1', 'b1', 'w2', 'b2'] as const) {
    const g = ids[`d${p}` as 'dw1'];
    P.emit('adam', { w: ids[p], g, m: state[p][0], v: state[p][1], vmax: state[p][1], hp: ids.hp, n: L.get(ids[p]).count }, `adam ${p}`);
  }
  return P;
}

function init(bl: BoundLayout, ids: ReturnType<typeof mlpLayout>['ids'], t: number) {
  bl.f32(ids.x).set(randn(B * I, 1));
  bl.i32(ids.y).set(randInt(B, O, 2));
  bl.f32(ids.w1).set(randn(H * I, 3, 0.5)); bl.f32(ids.b1).set(randn(H, 4, 0.1));
  bl.f32(ids.w2).set(randn(O * H, 5, 0.5)); bl.f32(ids.b2).set(randn(O, 6, 0.1));
  bl.f32(ids.hp).set([LR, B1, B2, EPS, 0, 0, 1 - B1 ** t, 1 - B2 ** t, 0, 0]);
}

/** Independent f64 MLP step: forward, CE, backward, Adam (PyTorch formulas). */
function f64Step(x: Float32Array, y: Int32Array, P: Record<string, Float64Array>, M: Record<string, Float64Array>, V: Record<string, Float64Array>, t: number) {
  const lin = (a: Float64Array, w: Float64Array, b: Float64Array, n: number, k: number) => {
    const out = new Float64Array(B * n);
    for (let r = 0; r < B; r++) for (let j = 0; j < n; j++) { let s = b[j]; for (let q = 0; q < k; q++) s += a[r * k + q] * w[j * k + q]; out[r * n + j] = s; }
    return out;
  };
  const X = Float64Array.from(x);
  const h1 = lin(X, P.w1, P.b1, H, I), a1 = h1.map((v) => Math.max(v, 0)), z = lin(a1, P.w2, P.b2, O, H);
  const dz = new Float64Array(B * O);
  for (let r = 0; r < B; r++) {
    const row = z.subarray(r * O, r * O + O); const m = Math.max(...row);
    const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
    for (let j = 0; j < O; j++) dz[r * O + j] = (Math.exp(row[j] - m) / s - (j === y[r] ? 1 : 0)) / B;
  }
  const G: Record<string, Float64Array> = { w1: new Float64Array(H * I), b1: new Float64Array(H), w2: new Float64Array(O * H), b2: new Float64Array(O) };
  const dh1 = new Float64Array(B * H);
  for (let r = 0; r < B; r++) for (let j = 0; j < O; j++) {
    const g = dz[r * O + j]; G.b2[j] += g;
    for (let q = 0; q < H; q++) { G.w2[j * H + q] += g * a1[r * H + q]; dh1[r * H + q] += g * P.w2[j * H + q]; }
  }
  for (let k = 0; k < B * H; k++) if (h1[k] <= 0) dh1[k] = 0;
  for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) {
    const g = dh1[r * H + j]; G.b1[j] += g;
    for (let q = 0; q < I; q++) G.w1[j * I + q] += g * X[r * I + q];
  }
  for (const p of Object.keys(P)) for (let k = 0; k < P[p].length; k++) {
    const g = G[p][k];
    M[p][k] = B1 * M[p][k] + (1 - B1) * g; V[p][k] = B2 * V[p][k] + (1 - B2) * g * g;
    P[p][k] -= (LR * M[p][k] / (1 - B1 ** t)) / (Math.sqrt(V[p][k] / (1 - B2 ** t)) + EPS);
  }
}

describe('plan runner', () => {
  let e: Engine;
  beforeAll(async () => { e = await engine(); });

  it('runs a 2-layer MLP train step (forward, loss, backward, Adam) as one call, equal to kernels called one by one', () => {
    const { L, ids, state } = mlpLayout();
    const plan = trainStep(L, ids, state);
    const a = new BoundLayout(e, L), b = new BoundLayout(e, L);
    init(a, ids, 1); init(b, ids, 1);
    a.run(a.load(plan));
    for (const ins of plan.instrs) {
      const args = ins.op.args.map((s, k) => (s.kind === 'ptr' ? b.ptr(ins.args[k]) : ins.args[k]));
      e.kernels[ins.op.kernel](...args);
    }
    for (const name of ['loss', 'w1', 'b1', 'w2', 'b2', 'dw1', 'z']) {
      const id = L.byName(name)!.id;
      expect(Array.from(a.f32(id)), name).toEqual(Array.from(b.f32(id)));
    }
  });

  it('matches an independent float64 MLP + Adam over three steps', () => {
    const { L, ids, state } = mlpLayout();
    const bl = new BoundLayout(e, L);
    const loaded = bl.load(trainStep(L, ids, state));
    init(bl, ids, 1);
    const P: Record<string, Float64Array> = {}, M: Record<string, Float64Array> = {}, V: Record<string, Float64Array> = {};
    for (const p of ['w1', 'b1', 'w2', 'b2'] as const) {
      P[p] = Float64Array.from(bl.f32(ids[p])); M[p] = new Float64Array(P[p].length); V[p] = new Float64Array(P[p].length);
    }
    const x = bl.f32(ids.x).slice(), y = bl.i32(ids.y).slice();
    for (let t = 1; t <= 3; t++) {
      bl.f32(ids.hp).set([LR, B1, B2, EPS, 0, 0, 1 - B1 ** t, 1 - B2 ** t, 0, 0]);
      bl.run(loaded);
      f64Step(x, y, P, M, V, t);
    }
    for (const p of ['w1', 'b1', 'w2', 'b2'] as const) expectClose(bl.f32(ids[p]), P[p], 1e-5, 1e-6, p);
  });

  it('rejects shapes that do not fit their buffers before anything runs', () => {
    const { L, ids } = mlpLayout();
    const P = new Plan(L);
    expect(() => P.emit('gemm', { c: ids.h1, a: ids.x, b: ids.w1, scratch: ids.scratch, M: B + 1, N: H, K: I, transA: 0, transB: 1, accumulate: 0 }, 'dense1'))
      .toThrowError(/dense1: op gemm argument c needs 216 bytes for M=6 N=9 K=7 .* buffer "h1" has 180/);
    expect(() => P.emit('gemm', { c: ids.h1, a: ids.x, b: ids.w1, scratch: ids.scratch, M: B, N: H, K: I, transA: 2, transB: 1, accumulate: 0 })).toThrow(/transA must be 0 or 1/);
    expect(() => P.emit('fill', { y: ids.y, v: 0, n: B })).toThrow(AxonError);
    expect(() => P.emit('fill', { y: ids.x, v: 0, n: -1 })).toThrow(/non-negative integer/);
    expect(() => P.emit('fill', { y: ids.x, v: NaN, n: 1 })).toThrow(/must be finite/);
    expect(() => P.emit('fill', { y: ids.x, v: 0 } as never)).toThrow(/missing argument "n"/);
    expect(() => P.emit('nope', {})).toThrow(/unknown op/);
    expect(() => L.view('v', ids.x, 4, 'f32', B * I)).toThrow(/does not fit/);
  });

  it('rejects corrupted plans inside wasm', () => {
    const { L, ids } = mlpLayout();
    const bl = new BoundLayout(e, L);
    const good = new Plan(L).emit('fill', { y: ids.x, v: 1, n: 3 }).encode();
    const check = (mut: (w: Uint32Array) => Uint32Array | void, code: number) => {
      const w = good.slice(); const out = mut(w) ?? w;
      expect(e.exports.plan_validate(e.put(out), out.byteLength, bl.base)).toBe(code);
    };
    check(() => {}, 0);
    check((w) => { w[0] = 0; }, -2);
    check((w) => { w[1] = 99; }, -3);
    check((w) => w.subarray(0, 3), -1);
    check((w) => w.subarray(0, w.length - 1), -1);
    check((w) => { w[4 + 2 * L.buffers.length] = 9999; }, -5);
    check((w) => { w[4 + 2 * L.buffers.length + 1] = 2; }, -6);
    check((w) => { w[4 + 2 * L.buffers.length + 2] = L.buffers.length; }, -4);
    check((w) => { w[4] = 0x7fffffff; }, -4);
  });

  it('stops at a failed finiteness check and names it', () => {
    const { L, ids } = mlpLayout();
    const bl = new BoundLayout(e, L);
    const P = new Plan(L).emit('fill', { y: ids.x, v: 1, n: B * I }).emit('check_finite', { x: ids.x, n: B * I }, 'x ok')
      .emit('fill', { y: ids.w1, v: Infinity === Infinity ? 3e38 : 0, n: 2 }).emit('scale', { y: ids.w1, a: 10, n: 2 })
      .emit('check_finite', { x: ids.w1, n: H * I }, 'dense1.weight').emit('fill', { y: ids.x, v: 7, n: 1 });
    expect(() => bl.run(bl.load(P))).toThrowError(/dense1.weight: non-finite/);
    expect(bl.f32(ids.x)[0]).toBe(1);
  });
});
