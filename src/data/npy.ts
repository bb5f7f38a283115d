// NumPy .npy reader and writer (format versions 1, 2 and 3), pure TS so it runs in browsers and
// Workers. Reads little-endian C-order <f4 <i4 |u1 |i1 directly, <f8 as f32 and <i8 as i32 (when
// every value fits); anything else (Fortran order, big-endian, objects, records) is refused.
// see: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
import { ArrayHeader, badData as bad } from './header.js';
import { Tensor, TensorDtype } from '../runtime/tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<string, { dtype: TensorDtype; bytes: number }> = {
  f4: { dtype: 'f32', bytes: 4 }, f8: { dtype: 'f32', bytes: 8 }, i4: { dtype: 'i32', bytes: 4 },
  i8: { dtype: 'i32', bytes: 8 }, u1: { dtype: 'u8', bytes: 1 }, i1: { dtype: 'i8', bytes: 1 },
};
const SUPPORTED = '<f4, <f8, <i4, <i8, |u1, |i1';

/** What an .npy header says: element kind ('f4', 'i8', ...), shape, and where the data starts. */
export interface NpyHeader extends ArrayHeader {
  kind: string;
}


/** Bytes needed to read the header: 10 for the fixed preamble, then this for the whole header. */
export function npyHeaderLength(bytes: Uint8Array, name: string): number {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw bad(name, 'not an .npy file (missing the \\x93NUMPY magic); save it with numpy.save');
  }
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return 10 + dv.getUint16(8, true);
  if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad(name, 'file ends inside the .npy header; the file is truncated');
    return 12 + dv.getUint32(8, true);
  }
  throw bad(name, `.npy format version ${major}.${bytes[7]} is not supported (versions 1, 2 and 3 are)`);
}

/** Parses the header dict; throws a typed error for every layout Axon cannot read. */
export function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  const dataOffset = npyHeaderLength(bytes, name);
  if (bytes.length < dataOffset) throw bad(name, 'file ends inside the .npy header; the file is truncated');
  const start = bytes[6] === 1 ? 10 : 12;
  const text = new TextDecoder(bytes[6] === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset));
  const descr = /['"]descr['"]\s*:\s*(['"]([^'"]*)['"]|\[)/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw bad(name, `malformed .npy header ${JSON.stringify(text.trim())}`);
  if (descr[2] === undefined) throw bad(name, 'structured (record) dtypes are not supported; save each field as its own array');
  const d = descr[2];
  const kind = d.slice(1);
  const info = DESCR[kind];
  const oneByte = info?.bytes === 1;
  if (!info || (oneByte ? !'|<>='.includes(d[0]) : d[0] !== '<')) {
    const why = d[0] === '>' ? 'big-endian data is not supported; convert with arr.astype(arr.dtype.newbyteorder("<"))'
      : d.includes('O') ? 'object arrays are not supported; convert to a numeric array'
        : `convert with arr.astype("float32") (supported: ${SUPPORTED})`;
    throw bad(name, `dtype '${d}' is not supported: ${why}`);
  }
  if (fortran[1] === 'True') throw bad(name, 'Fortran-order arrays are not supported; save np.ascontiguousarray(arr)');
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (dims.some((s) => !/^\d+L?$/.test(s))) throw bad(name, `bad shape (${shape[1]}) in the .npy header`);
  return { kind, dtype: info.dtype, itemBytes: info.bytes, shape: dims.map((s) => parseInt(s, 10)), dataOffset };
}

/** Decodes `count` little-endian elements of `h.kind` from `body` into the tensor dtype. */
export function decodeNpyBody(body: Uint8Array, h: NpyHeader, shape: readonly number[], name: string): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  // NOTE: a copy (aligned, detached from the file bytes); not body.slice: Node Buffers slice as views.
  const raw = Uint8Array.prototype.slice.call(body, 0, n * h.itemBytes).buffer;
  switch (h.kind) {
    case 'f4': return new Tensor(new Float32Array(raw), shape, 'f32');
    case 'i4': return new Tensor(new Int32Array(raw), shape, 'i32');
    case 'u1': return new Tensor(new Uint8Array(raw), shape, 'u8');
    case 'i1': return new Tensor(new Int8Array(raw), shape, 'i8');
    case 'f8': return new Tensor(Float32Array.from(new Float64Array(raw)), shape, 'f32');
    default: { // i8: keep the low word when the high word is its sign extension
      const w = new Int32Array(raw);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (w[2 * i + 1] !== w[2 * i] >> 31) {
          throw bad(name, `dtype '<i8' element ${i} does not fit in int32; Axon reads int64 as int32, so rescale or convert to float32`);
        }
        out[i] = w[2 * i];
      }
      return new Tensor(out, shape, 'i32');
    }
  }
}

/** Parses a whole .npy file into a Tensor; `name` (e.g. the file name) prefixes every error. */
export function parseNpy(bytes: Uint8Array, name: string): Tensor {
  const h = parseNpyHeader(bytes, name);
  const need = h.shape.reduce((a, b) => a * b, 1) * h.itemBytes;
  const have = bytes.length - h.dataOffset;
  if (have < need) throw bad(name, `the data is truncated: shape (${h.shape}) of '${h.kind}' needs ${need} bytes but the file has ${have}`);
  if (have > need) throw bad(name, `${have - need} unexpected bytes after the data of shape (${h.shape}); the file is corrupt`);
  return decodeNpyBody(bytes.subarray(h.dataOffset), h, h.shape, name);
}

const KIND_OF: Record<TensorDtype, string> = { f32: '<f4', i32: '<i4', u8: '|u1', i8: '|i1' };

/** Encodes a Tensor as an .npy file (version 1, or 2 for huge headers) that numpy.load reads. */
export function encodeNpy(t: Tensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let dict = `{'descr': '${KIND_OF[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const v1 = dict.length + 11 <= 0xffff;
  const pre = v1 ? 10 : 12;
  dict += ' '.repeat((64 - ((pre + dict.length + 1) % 64)) % 64) + '\n'; // data starts 64-byte aligned
  const body = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(pre + dict.length + body.length);
  out.set(MAGIC);
  out[6] = v1 ? 1 : 2;
  const dv = new DataView(out.buffer);
  if (v1) dv.setUint16(8, dict.length, true); else dv.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[pre + i] = dict.charCodeAt(i);
  out.set(body, pre + dict.length);
  return out;
}
