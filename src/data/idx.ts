// IDX reader (the MNIST / Fashion-MNIST format: big-endian magic, dims, then the data) and a gzip
// unwrapper built on the standard DecompressionStream, so both run in browsers, Workers and Node.
// i16 is widened to i32 and f64 narrowed to f32.
// see: http://yann.lecun.com/exdb/mnist/ (bottom of the page)
import { ArrayHeader, badData as bad } from './header.js';
import { Tensor, TensorDtype } from '../runtime/tensor.js';

const TYPES: Record<number, { kind: string; dtype: TensorDtype; bytes: number }> = {
  0x08: { kind: 'u8', dtype: 'u8', bytes: 1 }, 0x09: { kind: 'i8', dtype: 'i8', bytes: 1 },
  0x0b: { kind: 'i16', dtype: 'i32', bytes: 2 }, 0x0c: { kind: 'i32', dtype: 'i32', bytes: 4 },
  0x0d: { kind: 'f32', dtype: 'f32', bytes: 4 }, 0x0e: { kind: 'f64', dtype: 'f32', bytes: 8 },
};

/** What an IDX header says: element type code, shape, and where the data starts. */
export interface IdxHeader extends ArrayHeader {
  type: number;
}


/** Parses the magic and the dims (needs the first 4 + 4 * rank bytes). */
export function parseIdxHeader(bytes: Uint8Array, name: string): IdxHeader {
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (it is gzip-compressed: gunzip it first)' : '';
    throw bad(name, `not an IDX file: magic 0x${hex} should start with 0x0000${gz}`);
  }
  const t = TYPES[bytes[2]];
  if (!t) throw bad(name, `IDX type code 0x${bytes[2].toString(16)} is unknown (expected 08, 09, 0b, 0c, 0d or 0e)`);
  const rank = bytes[3];
  const dataOffset = 4 + 4 * rank;
  if (bytes.length < dataOffset) throw bad(name, `file ends inside the IDX header (${rank} dims need ${dataOffset} bytes); the file is truncated`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => dv.getUint32(4 + 4 * i, false));
  return { type: bytes[2], dtype: t.dtype, itemBytes: t.bytes, shape, dataOffset };
}

/** Decodes big-endian elements of `h.type` from `body` into a tensor of `shape`. */
export function decodeIdxBody(body: Uint8Array, h: IdxHeader, shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const copy = () => Uint8Array.prototype.slice.call(body, 0, n); // NOTE: Node Buffers slice as views
  if (h.type === 0x08) return new Tensor(copy(), shape, 'u8');
  if (h.type === 0x09) return new Tensor(new Int8Array(copy().buffer), shape, 'i8');
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out = h.dtype === 'f32' ? new Float32Array(n) : new Int32Array(n);
  const get = { 0x0b: (o: number) => dv.getInt16(o), 0x0c: (o: number) => dv.getInt32(o),
    0x0d: (o: number) => dv.getFloat32(o), 0x0e: (o: number) => dv.getFloat64(o) }[h.type]!;
  for (let i = 0; i < n; i++) out[i] = get(i * h.itemBytes);
  return new Tensor(out, shape, h.dtype);
}

/** Parses a whole (uncompressed) IDX file into a Tensor; `name` prefixes every error. */
export function parseIdx(bytes: Uint8Array, name: string): Tensor {
  const h = parseIdxHeader(bytes, name);
  const need = h.shape.reduce((a, b) => a * b, 1) * h.itemBytes;
  const have = bytes.length - h.dataOffset;
  if (have < need) throw bad(name, `the data is truncated: shape [${h.shape}] needs ${need} bytes but the file has ${have}; download it again`);
  if (have > need) throw bad(name, `${have - need} unexpected bytes after the data of shape [${h.shape}]; the file is corrupt`);
  return decodeIdxBody(bytes.subarray(h.dataOffset), h, h.shape);
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips with DecompressionStream when the gzip magic is present; otherwise returns `bytes`. */
export async function gunzipIfNeeded(bytes: Uint8Array, name = 'data'): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch (e) {
    throw bad(name, `gzip data is corrupt or truncated (${(e as Error).message}); download it again`);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}
