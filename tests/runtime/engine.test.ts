// The host runtime: build selection, instantiation from bytes and from a compiled Module, arena
// views across memory growth, out-of-memory and shape errors, the PRNG mirror, spawned instances (the first one reusing an untouched engine's own).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/runtime/engine.js';
import { probeFeatures } from '../../src/runtime/probe.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { AxonError } from '../../src/errors.js';
import { OPS, OPS_HASH } from '../../src/ops.js';
import { Sequential, layers } from '../../src/index.js';

const bytes = (b: string) => readFileSync(new URL(`../../build/axon.${b}.wasm`, import.meta.url));

describe('engine', () => {
  it('probes SIMD and picks the SIMD build where relaxed SIMD is off (plain Node 20)', async () => {
    expect(probeFeatures().simd).toBe(true);
    const e = await Engine.create({ simd: bytes('simd'), relaxed: bytes('relaxed') });
    expect(e.build).toBe(probeFeatures().relaxedSimd ? 'relaxed' : 'simd');
    if (!probeFeatures().relaxedSimd) await expect(Engine.create({ simd: bytes('simd'), relaxed: bytes('relaxed') }, { build: 'relaxed' })).rejects.toThrow(/relaxed SIMD is not available/);
  });

  it('instantiates from a precompiled WebAssembly.Module (the Workers path) and spawns isolated instances', async () => {
    const mod = new WebAssembly.Module(bytes('simd'));
    const e = await Engine.create({ simd: mod });
    expect(e.module).toBe(mod);
    const f = await e.spawn();
    const p = e.put(Float32Array.of(1, 2, 3)), q = f.put(Float32Array.of(9, 9, 9));
    expect(Array.from(e.f32(p, 3))).toEqual([1, 2, 3]);
    expect(Array.from(f.f32(q, 3))).toEqual([9, 9, 9]);
    expect(e.memory).not.toBe(f.memory);
  });

  it('hands its untouched instance to the first spawn only, then makes itself a new one', async () => {
    const e = await Engine.create({ simd: bytes('simd') });
    const own = (e as unknown as { own: unknown }).own;
    const f = await e.spawn(), g = await e.spawn();
    expect(f.exports).toBe(own);                         // the first spawn got the instance create() made
    expect(g.exports).not.toBe(own);                     // a second spawn: a new one
    const p = f.put(Float32Array.of(4, 5, 6));
    expect(e.exports).not.toBe(own);                     // the engine's own use: a third instance
    e.put(new Float32Array(64).fill(-1)); g.put(new Float32Array(64).fill(-2));
    expect(Array.from(f.f32(p, 3))).toEqual([4, 5, 6]);
    expect(new Set([e.memory, f.memory, g.memory]).size).toBe(3);
    // once used, an engine keeps its instance: spawns are always new ones
    const h = await Engine.create({ simd: bytes('simd') });
    const k = h.kernels, s = await h.spawn();
    expect(h.kernels).toBe(k);
    expect(s.memory).not.toBe(h.memory);
    // two models on one untouched engine: sessions in different instances
    const m1 = new Sequential({ inputShape: [3], engine: await Engine.create({ simd: bytes('simd') }) }).add(layers.dense({ units: 2 }));
    const m2 = new Sequential({ inputShape: [3], engine: m1.engine }).add(layers.dense({ units: 2 }));
    const [s1, s2] = [await m1.session(1), await m2.session(1)];
    expect(s1.engine.memory).not.toBe(s2.engine.memory);
    expect(s1.engine.memory).not.toBe(m1.engine!.memory);
  });

  it('keeps arena views valid across memory growth', async () => {
    const e = await Engine.create({ simd: bytes('simd') });
    const p = e.put(Float32Array.of(1.5, 2.5));
    const v = e.view(p, 2, Float32Array);
    const before = v.array;
    e.alloc(64 << 20);                      // grows memory: old ArrayBuffers detach
    expect(before.length).toBe(0);          // the raw typed array is gone …
    expect(Array.from(v.array)).toEqual([1.5, 2.5]);   // … the view re-derives itself
  });

  it('reports out-of-memory and bad sizes as typed errors', async () => {
    const e = await Engine.create({ simd: bytes('simd') });
    expect(() => e.alloc(-1)).toThrow(AxonError);
    expect(() => e.alloc(0xffffffff)).toThrow(/4 GiB/);
    const err = (() => { try { e.alloc(3e9); e.alloc(2e9); } catch (z) { return z as AxonError; } })();
    expect(err?.code).toBe('OUT_OF_MEMORY');
  });

  it('refuses a wasm build generated from another op list', async () => {
    const e = await Engine.create({ simd: bytes('simd') });
    expect(e.exports.ops_hash() >>> 0).toBe(OPS_HASH);
    const fake = { ...e.exports, ops_hash: () => OPS_HASH ^ 1 };
    expect(() => new Engine(fake as never, 'simd', e.module)).toThrow(/different op list/);
  });

  it('allocZeroed gives zeros over reused arena memory and over freshly grown pages', async () => {
    const e = await Engine.create({ simd: bytes('simd') });
    const mark = e.mark(), n = 50_000;
    e.put(new Float32Array(n).fill(7));                      // dirty the start of the arena
    e.reset(mark);
    const pages = e.memory.buffer.byteLength;
    const p = e.allocZeroed(n * 4 + 3 * 65536);              // reuses the dirty block and grows memory
    expect(p).toBe(mark);
    expect(e.memory.buffer.byteLength).toBeGreaterThan(pages);
    expect(e.f32(p, n + 3 * 16384).every((v) => v === 0)).toBe(true);
  });

  it('exports every kernel the op registry names', async () => {
    const e = await Engine.create({ simd: bytes('simd') });
    for (const op of OPS) expect(typeof e.kernels[op.kernel], op.kernel).toBe('function');
  });
});

describe('Tensor', () => {
  it('checks shapes and reshapes', () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/holds 6 elements but the data has 5/);
    expect(() => Tensor.zeros([2, -1])).toThrow(AxonError);
    const t = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(t.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(t.slice(1, 2).toArray()).toEqual([4, 5, 6]);
  });
});
