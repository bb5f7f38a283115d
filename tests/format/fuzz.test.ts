// Fuzzing the model file reader: 12,000 seeded mutations of valid files (byte flips, truncations,
// header JSON edits: wrong dtypes, huge/negative/fractional shapes, overlapping or out-of-range
// offsets, non-string metadata, bad length fields). Every input must either decode, with every
// tensor inside the file and no more tensor bytes than the file's body, or throw
// AxonError('BAD_MODEL_FILE'). Nothing else may escape, and the whole run stays well under 30 s.
import { describe, it, expect } from 'vitest';
import { decodeSafetensors, readAxonModelFile, encodeAxonModelFile, encodeSafetensors } from '../../src/format/safetensors.js';
import { AxonError } from '../../src/errors.js';
import { Rng } from '../../src/runtime/rng.js';

const CASES = 12_000;
const SEED = 20240605;

function seeds(): Uint8Array[] {
  const r = new Rng(7);
  const f32 = (n: number) => Float32Array.from({ length: n }, () => r.normal());
  const i8 = (n: number) => Int8Array.from({ length: n }, () => r.int(256) - 128);
  return [
    encodeAxonModelFile({
      graph: { layers: [{ type: 'dense', units: 4 }, { type: 'relu' }] },
      tensors: { 'd.w': { dtype: 'I8', shape: [4, 3], data: i8(12) }, 'd.w.scale': { dtype: 'F32', shape: [4], data: f32(4) }, 'd.b': { dtype: 'I32', shape: [4], data: new Int32Array(4) } },
      quant: { 'd.w': { axis: 0 } },
    }),
    encodeSafetensors({ a: { dtype: 'F32', shape: [2, 3], data: f32(6) }, b: { dtype: 'U8', shape: [5], data: new Uint8Array(5) }, e: { dtype: 'F64', shape: [0], data: new Float64Array(0) } }, { k: 'v' }),
    encodeSafetensors({ x: { dtype: 'F16', shape: [3], data: new Uint16Array(3) }, y: { dtype: 'I64', shape: [1, 1], data: new BigInt64Array(1) } }),
    encodeSafetensors({}),
  ];
}

const JUNK: unknown[] = [-1, -1e300, 1.5, 2 ** 53, 2 ** 64, 1e15, 0, '3', null, true, [], {}, [1, 2, 3], 'F32', 'f32', 'I4', 'BF16', '__proto__'];

/** One mutated file from a valid one. */
function mutate(r: Rng, src: Uint8Array): Uint8Array {
  const pick = <T>(a: readonly T[]): T => a[r.int(a.length)];
  const hlen = new DataView(src.buffer, src.byteOffset).getUint32(0, true);
  const kind = r.int(6);
  if (kind === 0) { // random byte flips, mostly in the header
    const b = src.slice();
    for (let n = 1 + r.int(8); n > 0; n--) b[r.uniform() < 0.8 ? r.int(Math.min(b.length, 8 + hlen)) : r.int(b.length)] ^= 1 << r.int(8);
    return b;
  }
  if (kind === 1) return src.slice(0, r.int(src.length)); // truncation
  if (kind === 2) { // length field edits
    const b = src.slice(), dv = new DataView(b.buffer);
    dv.setUint32(r.int(2) * 4, pick([0, 1, hlen - 1, hlen + 1, hlen + 8, 0xffffffff, 0x7fffffff, r.nextU32()]), true);
    return b;
  }
  if (kind === 3) { // extra or missing body bytes
    const extra = r.int(17) - 8;
    const b = new Uint8Array(Math.max(8, src.length + extra)); b.set(src.subarray(0, b.length));
    return b;
  }
  // header JSON edits, re-serialized with a consistent (or, sometimes, stale) length field
  const h = JSON.parse(new TextDecoder().decode(src.subarray(8, 8 + hlen)));
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  for (let n = 1 + r.int(3); n > 0; n--) {
    const op = r.int(9);
    const t = names.length ? h[pick(names)] : undefined;
    const arr = (a: unknown): number[] => (Array.isArray(a) ? a : [0, 0]);
    if (t && typeof t === 'object') { t.shape = arr(t.shape); t.data_offsets = arr(t.data_offsets); }
    if (op === 0 && t) t.dtype = pick(JUNK.concat(['I8', 'U8', 'F64', 'I64', 'F16']));
    else if (op === 1 && t) t.shape[r.int(Math.max(1, t.shape.length))] = pick(JUNK);
    else if (op === 2 && t) t.shape = pick([[1e15, 1e15], [2 ** 40], [-4], [0], [1, 1, 1], 'abc', null]);
    else if (op === 3 && t) t.data_offsets[r.int(2)] = pick(JUNK);
    else if (op === 4 && t && names.length > 1) { const o = arr(h[pick(names)]?.data_offsets); t.data_offsets = [o[0], o[1]]; } // overlap
    else if (op === 5 && t) t.data_offsets = [t.data_offsets[0] + r.int(9) - 4, t.data_offsets[1] + r.int(9) - 4];
    else if (op === 6) h.__metadata__ = pick([{ format: 1 }, { format: 'axon', version: 2 }, { graph: {} }, null, [], 'x', { a: 'b', c: null }, { format: 'axon', version: '9', graph: '{}' }]);
    else if (op === 7) h[`n${r.int(3)}`] = pick([{ dtype: 'F32', shape: [1], data_offsets: [0, 4] }, { dtype: 'U8', shape: [0], data_offsets: [0, 0] }, 5, null]);
    else if (op === 8 && t) delete t[pick(['dtype', 'shape', 'data_offsets'])];
  }
  const json = new TextEncoder().encode(JSON.stringify(h) + ' '.repeat(r.int(8)));
  const body = src.subarray(8 + hlen);
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setUint32(0, r.uniform() < 0.9 ? json.length : hlen, true);
  out.set(json, 8); out.set(body, 8 + json.length);
  return out;
}

/** Decoded tensors must lie inside the file, agree with their shapes and total at most the body. */
function checkDecoded(bytes: Uint8Array, tensors: Map<string, { dtype: string; shape: number[]; data: ArrayBufferView }>): void {
  const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const body = bytes.length - 8 - hlen;
  let total = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    expect(t.data.byteLength, name).toBe(n * ((t.data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT));
    if (t.data.buffer === bytes.buffer) {
      expect(t.data.byteOffset, name).toBeGreaterThanOrEqual(bytes.byteOffset + 8 + hlen);
      expect(t.data.byteOffset + t.data.byteLength, name).toBeLessThanOrEqual(bytes.byteOffset + bytes.length);
    }
    total += t.data.byteLength;
  }
  expect(total).toBeLessThanOrEqual(body);
}

describe('model file fuzzing', () => {
  it(`${CASES} mutated and truncated files: decode cleanly or fail with BAD_MODEL_FILE`, () => {
    const r = new Rng(SEED);
    const base = seeds();
    const tally = { decoded: 0, rejected: 0, axon: 0 };
    const t0 = performance.now();
    let slowest = 0;
    for (let c = 0; c < CASES; c++) {
      const bytes = mutate(r, base[c % base.length]);
      const t = performance.now();
      for (const copy of [false, true]) {
        try {
          checkDecoded(bytes, decodeSafetensors(bytes, 'fuzz', { copy, maxTensorBytes: 1 << 20 }).tensors);
          if (!copy) tally.decoded++;
        } catch (e) {
          if (!(e instanceof AxonError) || e.code !== 'BAD_MODEL_FILE' || !e.message.startsWith('fuzz: ')) {
            throw new Error(`case ${c}: unexpected ${(e as Error)?.stack ?? e}\nfile: ${Buffer.from(bytes).toString('base64')}`);
          }
          if (!copy) tally.rejected++;
        }
      }
      try { readAxonModelFile(bytes, 'fuzz'); tally.axon++; } catch (e) {
        if (!(e instanceof AxonError) || e.code !== 'BAD_MODEL_FILE') throw new Error(`case ${c}: readAxonModelFile threw ${(e as Error)?.stack ?? e}`);
      }
      slowest = Math.max(slowest, performance.now() - t);
    }
    const ms = performance.now() - t0;
    // Both outcomes must be common, or the generator is not exercising the reader.
    expect(tally.decoded).toBeGreaterThan(CASES / 20);
    expect(tally.rejected).toBeGreaterThan(CASES / 2);
    expect(tally.axon).toBeGreaterThan(CASES / 200);
    console.log(`fuzz: ${CASES} files, ${tally.decoded} decoded, ${tally.rejected} rejected, ${tally.axon} valid Axon models, ${ms.toFixed(0)} ms (slowest ${slowest.toFixed(1)} ms)`);
    expect(slowest).toBeLessThan(1000); // a hang detector, not a speed test
    expect(ms).toBeLessThan(25_000);
  }, 30_000);

  it('rejects sizes the body cannot hold before allocating anything for them', () => {
    // 2^50 elements declared on a 16-byte file: a reader that allocated first would die here.
    const h = new TextEncoder().encode(JSON.stringify({ a: { dtype: 'F64', shape: [2 ** 25, 2 ** 25], data_offsets: [0, 2 ** 53 - 1] } }));
    const b = new Uint8Array(8 + h.length + 16); new DataView(b.buffer).setUint32(0, h.length, true); b.set(h, 8);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeSafetensors(b, 'big')).toThrowError(/big: tensor "a": data_offsets \[0, 9007199254740991\] run past the 16-byte data section/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });
});
