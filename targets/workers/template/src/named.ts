// Named inputs for the template Worker (worker.ts): JSON nested arrays [n, ...per-sample shape]
// per input (i32 inputs take integers), or binary bodies described by an `x-inputs` header
// ("seq=f32[2,5,4]; h0=f32[2,6]": the inputs' little-endian bytes one after another); outputs as
// nested arrays. Bad requests throw AxonError (the Worker answers 400 {error, code}) naming the input.
import { AxonError, Tensor, type Model } from '../../index.js';

type InputDecl = Model['inputs'][number];
export const declText = (m: InputDecl) => `${m.name} ${m.dtype} [n, ${m.shape.map((d) => d ?? 'null')}]`;

/** The request names exactly the model's inputs (none missing, none extra). */
export function checkNames(model: Model, names: string[]): void {
  const all = model.inputs.map(declText).join('; ');
  const extra = names.filter((k) => !model.inputs.some((m) => m.name === k)), missing = model.inputs.filter((m) => !names.includes(m.name)).map((m) => m.name);
  if (extra.length) throw new AxonError('BAD_ARGUMENT', `no model input named ${extra.map((k) => JSON.stringify(k)).join(', ')}; the model takes ${all}`);
  if (missing.length) throw new AxonError('BAD_ARGUMENT', `input ${missing.map((k) => JSON.stringify(k)).join(', ')} is missing; the model takes ${all}`);
}

/** Nested JSON arrays → a Tensor of the input's dtype: a regular (not ragged) array of numbers. */
export function tensorFromNested(v: unknown, m: InputDecl, maxRows: number): Tensor {
  const where = `inputs.${m.name}`, shape: number[] = [];
  for (let a: unknown = v; Array.isArray(a); a = a[0]) shape.push(a.length);
  if (shape.length !== m.shape.length + 1 || shape.includes(0)) throw new AxonError('BAD_SHAPE', `${where} must be nested arrays [n, ${m.shape.map((d) => d ?? 'any')}] (${m.shape.length + 1} levels), got ${shape.length ? `[${shape}]` : typeof v}`);
  if (shape[0] > maxRows) throw new AxonError('BAD_SHAPE', `${where} has ${shape[0]} rows; at most ${maxRows} per request`);
  const n = shape.reduce((a, b) => a * b, 1), data = m.dtype === 'i32' ? new Int32Array(n) : new Float32Array(n);
  let k = 0;
  const walk = (a: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (a === null) throw new AxonError('NOT_FINITE', `${path} is null (JSON's encoding of NaN and Infinity); inputs must be finite numbers`);
      if (typeof a !== 'number') throw new AxonError('BAD_DTYPE', `${path} is a ${Array.isArray(a) ? 'list' : typeof a}; ${m.name} takes ${m.dtype === 'i32' ? 'integers (i32 ids)' : 'numbers (float32)'} at depth ${shape.length}`);
      if (m.dtype === 'i32' && !(Number.isInteger(a) && a >= -(2 ** 31) && a < 2 ** 31)) throw new AxonError('BAD_DTYPE', `${path} = ${a} is not an i32 integer; "${m.name}" is an i32 input (ids)`);
      data[k++] = a;
      if (m.dtype === 'f32' && !Number.isFinite(data[k - 1])) throw new AxonError('NOT_FINITE', `${path} = ${a} is not a finite float32`);
      return;
    }
    if (!Array.isArray(a) || a.length !== shape[depth]) throw new AxonError('BAD_SHAPE', `${path} must be a list of ${shape[depth]} (the inputs are not ragged: every list at one depth has the same length), got ${Array.isArray(a) ? `${a.length} values` : typeof a}`);
    for (let i = 0; i < a.length; i++) walk(a[i], depth + 1, `${path}[${i}]`);
  };
  walk(v, 0, where);
  return new Tensor(data, shape);
}

/** `x-inputs: seq=f32[2,5,4]; h0=f32[2,6]` and the inputs' little-endian bytes in that order. */
export function tensorsFromBinary(header: string, bytes: Uint8Array, model: Model, maxRows: number): Record<string, Tensor> {
  const parts = header.split(';').map((p) => p.trim()).filter(Boolean).map((p) => /^([A-Za-z_][\w/-]*)=(f32|i32)\[(\d{1,9}(?:,\d{1,9})*)\]$/.exec(p.replace(/\s/g, '')));
  if (!parts.length || parts.some((p) => !p)) throw new AxonError('BAD_SHAPE', `x-inputs ${JSON.stringify(header)} must list name=dtype[n,...] per input, separated by ';' (e.g. "${model.inputs.map((m) => `${m.name}=${m.dtype}[1,${m.shape.map((d) => d ?? 8)}]`).join('; ')}")`);
  checkNames(model, parts.map((p) => p![1]));
  const out: Record<string, Tensor> = {};
  let at = 0;
  for (const p of parts) {
    const m = model.inputs.find((i) => i.name === p![1])!, shape = p![3].split(',').map(Number), n = shape.reduce((a, b) => a * b, 1);
    if (p![2] !== m.dtype) throw new AxonError('BAD_DTYPE', `x-inputs says ${m.name} is ${p![2]}, but it is an ${m.dtype} input`);
    if (shape[0] > maxRows) throw new AxonError('BAD_SHAPE', `${m.name} has ${shape[0]} rows; at most ${maxRows} per request`);
    if (at + 4 * n > bytes.byteLength) throw new AxonError('BAD_SHAPE', `x-inputs needs ${parts.reduce((a, q) => a + 4 * q![3].split(',').map(Number).reduce((x, y) => x * y, 1), 0)} bytes but the body has ${bytes.byteLength}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + at, 4 * n), data = m.dtype === 'i32' ? new Int32Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = m.dtype === 'i32' ? dv.getInt32(i * 4, true) : dv.getFloat32(i * 4, true);
      if (!Number.isFinite(data[i])) throw new AxonError('NOT_FINITE', `${m.name} value ${i} is ${data[i]}; inputs must be finite`);
    }
    out[m.name] = new Tensor(data, shape);
    at += 4 * n;
  }
  if (at !== bytes.byteLength) throw new AxonError('BAD_SHAPE', `x-inputs describes ${at} bytes but the body has ${bytes.byteLength}`);
  return out;
}

export const nested = (t: Tensor): unknown => {
  const rec = (off: number, d: number): unknown => {
    if (d === t.shape.length) return t.data[off];
    const stride = t.shape.slice(d + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: t.shape[d] }, (_, i) => rec(off + i * stride, d + 1));
  };
  return rec(0, 0);
};
