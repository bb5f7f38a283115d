// The model file container: safetensors (8-byte little-endian header length, JSON header, raw
// little-endian tensor bytes), so any safetensors tool can read an Axon model's weights, plus the
// Axon layer on top (`__metadata__`: format, version, graph, quant). Pure TS, no Node APIs.
//
// Decoding treats the bytes as hostile: it checks the header length, UTF-8, JSON, every dtype,
// shape and offset pair, and that the offsets tile the body exactly (in range, no overlap, no gap:
// the rule the reference reader enforces) BEFORE it allocates anything proportional to the
// declared sizes. Tensors come back as views into `bytes` when aligned, else as copies, so decode
// allocates at most the body size (plus the parsed header). Every problem is an
// AxonError('BAD_MODEL_FILE', '<name>: ...').
// NOTE: encode writes tensors contiguously (the reference reader rejects gaps), largest element
// size first and in the given order within one size, so every tensor is naturally aligned (the
// header is padded with spaces to 8 bytes). The JSON lists tensors in the given order.
// see: safetensors format, huggingface/safetensors safetensors/src/tensor.rs
import { AxonError } from '../errors.js';

/** Element sizes in bytes of the safetensors dtypes Axon reads and writes. */
export const SAFETENSORS_DTYPES = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
} as const;
export type StDtype = keyof typeof SAFETENSORS_DTYPES;

export type StArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
export interface StTensorIn { dtype: StDtype; shape: number[]; data: ArrayBufferView }
/** A decoded tensor. F16/BF16 come back as raw Uint16Array bits, BOOL/F8 as Uint8Array. */
export interface StTensor { dtype: StDtype; shape: number[]; data: StArray }
export interface DecodeOptions {
  /** Largest single tensor accepted, in bytes (default: no limit beyond the file). */
  maxTensorBytes?: number;
  /** Largest JSON header accepted, in bytes (default 100,000,000, as the reference reader). */
  maxHeaderBytes?: number;
  /** Always copy tensor data out of `bytes` (default: aligned tensors are views into it). */
  copy?: boolean;
}
export interface Decoded { tensors: Map<string, StTensor>; metadata: Record<string, string> }

type Ctor = { new (b: ArrayBuffer, off: number, len: number): StArray; new (len: number): StArray };
const CTORS: Record<StDtype, Ctor> = {
  BOOL: Uint8Array, U8: Uint8Array, I8: Int8Array, F8_E5M2: Uint8Array, F8_E4M3: Uint8Array,
  I16: Int16Array, U16: Uint16Array, F16: Uint16Array, BF16: Uint16Array, I32: Int32Array,
  U32: Uint32Array, F32: Float32Array, F64: Float64Array, I64: BigInt64Array, U64: BigUint64Array,
} as unknown as Record<StDtype, Ctor>;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const isDtype = (d: unknown): d is StDtype => typeof d === 'string' && Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPES, d);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Element count of a shape, or -1 when it exceeds `limit` (so huge shapes never overflow). */
function numel(shape: number[], limit: number): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) { n *= d; if (n > limit) return -1; }
  return n;
}

/**
 * Serializes tensors and string metadata into one safetensors file.
 * Throws AxonError('BAD_ARGUMENT') for an unknown dtype, a bad shape, a data size that does not
 * match the shape, the reserved name "__metadata__" or a non-string metadata value.
 */
export function encodeSafetensors(tensors: Record<string, StTensorIn>, metadata: Record<string, string> = {}): Uint8Array {
  const bad = (m: string) => new AxonError('BAD_ARGUMENT', `encodeSafetensors: ${m}`);
  for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw bad(`metadata "${k}" must be a string, got ${typeof v}; JSON.stringify objects first`);
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw bad('"__metadata__" is reserved and cannot name a tensor');
    if (!isDtype(t.dtype)) throw bad(`tensor "${name}" has unknown dtype ${JSON.stringify(t.dtype)} (known: ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`);
    if (!Array.isArray(t.shape) || !t.shape.every(isCount)) throw bad(`tensor "${name}" shape ${JSON.stringify(t.shape)} must be non-negative integers`);
    const want = numel(t.shape, Number.MAX_SAFE_INTEGER) * SAFETENSORS_DTYPES[t.dtype];
    if (!ArrayBuffer.isView(t.data) || t.data.byteLength !== want) {
      throw bad(`tensor "${name}" (${t.dtype} [${t.shape}]) needs ${want} bytes of data, got ${ArrayBuffer.isView(t.data) ? t.data.byteLength : typeof t.data}`);
    }
  }
  // Contiguous and naturally aligned: larger elements first, stable within one size.
  const order = entries.map((e, k) => k).sort((x, y) => SAFETENSORS_DTYPES[entries[y][1].dtype] - SAFETENSORS_DTYPES[entries[x][1].dtype] || x - y);
  const offsets = new Array<[number, number]>(entries.length);
  let end = 0;
  for (const k of order) { const n = entries[k][1].data.byteLength; offsets[k] = [end, end + n]; end += n; }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  entries.forEach(([name, t], k) => { header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: offsets[k] }; });
  let json = new TextEncoder().encode(JSON.stringify(header));
  const hlen = (json.length + 7) & ~7;
  const out = new Uint8Array(8 + hlen + end);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, hlen % 0x100000000, true);
  dv.setUint32(4, Math.floor(hlen / 0x100000000), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + hlen);
  json = new Uint8Array(0);
  const base = 8 + hlen;
  entries.forEach(([, t], k) => out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), base + offsets[k][0]));
  return out;
}

/** Header bytes as text: ASCII as it is (most headers: TextDecoder's first use costs ~0.4 ms of a cold start), else strict UTF-8. */
function headerText(b: Uint8Array): string {
  for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) return new TextDecoder('utf-8', { fatal: true }).decode(b);
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

/**
 * Parses and validates a safetensors file. `name` prefixes every error message.
 * Throws AxonError('BAD_MODEL_FILE') for anything malformed; never allocates more than the
 * file's body for tensor data.
 */
export function decodeSafetensors(bytes: Uint8Array, name: string, opts: DecodeOptions = {}): Decoded {
  const fail = (m: string): never => { throw new AxonError('BAD_MODEL_FILE', `${name}: ${m}`); };
  if (!(bytes instanceof Uint8Array)) fail('expected the file contents as a Uint8Array');
  if (!LITTLE_ENDIAN) throw new AxonError('UNSUPPORTED', `${name}: safetensors data is little-endian and this host is big-endian`);
  const maxHeader = opts.maxHeaderBytes ?? 100_000_000;
  const maxTensor = opts.maxTensorBytes ?? Infinity;
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte safetensors header length; the file is truncated or not a safetensors model`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > maxHeader) fail(`header length ${hi * 0x100000000 + lo} exceeds the limit of ${maxHeader} bytes; the file is corrupt or not a safetensors model`);
  if (lo < 2) fail(`header length ${lo} is too small to hold a JSON object; the file is corrupt`);
  if (8 + lo > bytes.length) fail(`header claims ${lo} bytes but the file has only ${bytes.length - 8} after the length field; the file is truncated`);
  const body = bytes.length - 8 - lo;

  let text = '';
  try { text = headerText(bytes.subarray(8, 8 + lo)); } catch { fail('header is not valid UTF-8; the file is corrupt'); }
  if (text[0] !== '{') fail('header does not start with "{"; the file is corrupt or not a safetensors model');
  let header: unknown;
  try { header = JSON.parse(text); } catch (e) { fail(`header is not valid JSON (${(e as Error).message}); the file is corrupt`); }
  if (!isObject(header)) fail('header JSON is not an object; the file is corrupt');
  const h = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  if (Object.prototype.hasOwnProperty.call(h, '__metadata__')) {
    const md = h.__metadata__;
    if (!isObject(md)) fail('__metadata__ must be an object of strings');
    for (const [k, v] of Object.entries(md as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`__metadata__ value "${k}" is ${v === null ? 'null' : typeof v}, but safetensors metadata values must be strings`);
      metadata[k] = v as string;
    }
  }

  interface Info { name: string; dtype: StDtype; shape: number[]; begin: number; end: number }
  const infos: Info[] = [];
  for (const [tn, raw] of Object.entries(h)) {
    if (tn === '__metadata__') continue;
    const where = `tensor "${tn.length > 80 ? tn.slice(0, 80) + '...' : tn}"`;
    if (!isObject(raw)) fail(`${where}: entry must be an object with dtype, shape and data_offsets`);
    const e = raw as Record<string, unknown>;
    if (!isDtype(e.dtype)) fail(`${where}: unknown dtype ${JSON.stringify(e.dtype)?.slice(0, 40)} (supported: ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`);
    const dtype = e.dtype as StDtype;
    if (!Array.isArray(e.shape) || !e.shape.every(isCount)) fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(e.shape)?.slice(0, 60)}`);
    const shape = (e.shape as number[]).slice();
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isCount(off[0]) || !isCount(off[1]) || off[1] < off[0]) {
      fail(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)?.slice(0, 60)}`);
    }
    const [begin, end] = off as number[];
    if (end > body) fail(`${where}: data_offsets [${begin}, ${end}] run past the ${body}-byte data section; the file is truncated or corrupt`);
    const size = SAFETENSORS_DTYPES[dtype];
    const n = numel(shape, body);
    if (n < 0 || n * size !== end - begin) {
      fail(`${where}: ${dtype} shape [${shape.join(', ')}] needs ${n < 0 ? 'more bytes than the file holds' : `${n * size} bytes`}, but data_offsets span ${end - begin}`);
    }
    if (end - begin > maxTensor) fail(`${where}: ${end - begin} bytes exceed the limit of ${maxTensor} bytes per tensor`);
    infos.push({ name: tn, dtype, shape, begin, end });
  }

  // The offsets must tile [0, body) exactly: sorted by begin, each starts where the last ended.
  const sorted = infos.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const t of sorted) {
    if (t.begin < at) fail(`tensor "${t.name}" data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (which ends at ${at})`);
    if (t.begin > at) fail(`tensor "${t.name}" data_offsets start at ${t.begin}, leaving a gap after byte ${at}; the file is corrupt`);
    at = t.end;
  }
  if (at !== body) fail(`tensors cover ${at} bytes but the data section has ${body}; the file is truncated, padded or corrupt`);

  const base = bytes.byteOffset + 8 + lo;
  const tensors = new Map<string, StTensor>();
  for (const t of infos) {
    const size = SAFETENSORS_DTYPES[t.dtype], C = CTORS[t.dtype], len = (t.end - t.begin) / size;
    const p = base + t.begin;
    let data: StArray;
    if (!opts.copy && p % size === 0) data = new C(bytes.buffer as ArrayBuffer, p, len);
    else { data = new C(len); new Uint8Array(data.buffer).set(bytes.subarray(8 + lo + t.begin, 8 + lo + t.end)); }
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data });
  }
  return { tensors, metadata };
}

// ---- Axon model files: a safetensors file whose __metadata__ says format "axon" ----

/** Major version of the Axon model file layout this build reads and writes. */
export const AXON_FORMAT_VERSION = 1;

export interface AxonModelFile {
  /** The model graph (layers, shapes, attributes, names), as stored in __metadata__.graph. */
  graph: Record<string, unknown>;
  /** Major format version. */
  version: number;
  tensors: Map<string, StTensor>;
  /** Quantization parameters (__metadata__.quant), when the model is quantized. */
  quant?: Record<string, unknown>;
  /** All __metadata__ strings, including Axon's own keys. */
  metadata: Record<string, string>;
}

/** Serializes an Axon model: tensors plus graph (and quant) JSON in __metadata__. */
export function encodeAxonModelFile(model: { graph: object; tensors: Record<string, StTensorIn>; quant?: object; metadata?: Record<string, string> }): Uint8Array {
  const md: Record<string, string> = { ...model.metadata, format: 'axon', version: String(AXON_FORMAT_VERSION), graph: JSON.stringify(model.graph) };
  if (model.quant) md.quant = JSON.stringify(model.quant);
  return encodeSafetensors(model.tensors, md);
}

/**
 * Reads an Axon model file: validates the safetensors container (see decodeSafetensors), then
 * Axon's metadata keys. Throws AxonError('BAD_MODEL_FILE') naming `name` and the problem.
 */
export function readAxonModelFile(bytes: Uint8Array, name: string, opts?: DecodeOptions): AxonModelFile {
  const fail = (m: string): never => { throw new AxonError('BAD_MODEL_FILE', `${name}: ${m}`); };
  const { tensors, metadata } = decodeSafetensors(bytes, name, opts);
  if (metadata.format === undefined) fail('no __metadata__.format: this is a plain safetensors file, not an Axon model; load its weights into a model built in code, or re-save it with Axon');
  if (metadata.format !== 'axon') fail(`__metadata__.format is ${JSON.stringify(metadata.format).slice(0, 40)}, expected "axon"; this file was written by another tool`);
  const v = metadata.version;
  if (v === undefined) fail('__metadata__.version is missing; re-save the model with Axon');
  const m = /^(\d+)(\.\d+)*$/.exec(v);
  if (!m) fail(`__metadata__.version ${JSON.stringify(v).slice(0, 40)} is not a version number like "1"`);
  const version = Number(m![1]);
  if (version > AXON_FORMAT_VERSION) fail(`model file format version ${version} is newer than this Axon reads (${AXON_FORMAT_VERSION}); upgrade axon`);
  if (version < 1) fail(`model file format version ${version} is unknown (this Axon reads version ${AXON_FORMAT_VERSION})`);
  const json = (key: string): Record<string, unknown> => {
    let x: unknown;
    try { x = JSON.parse(metadata[key]); } catch (e) { fail(`__metadata__.${key} is not valid JSON (${(e as Error).message}); the file is corrupt`); }
    if (!isObject(x)) fail(`__metadata__.${key} must be a JSON object`);
    return x as Record<string, unknown>;
  };
  if (metadata.graph === undefined) fail('__metadata__.graph is missing: the file has weights but no model description; re-save the model with Axon');
  const out: AxonModelFile = { graph: json('graph'), version, tensors, metadata };
  if (metadata.quant !== undefined) out.quant = json('quant');
  return out;
}
