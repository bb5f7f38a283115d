// The model file container: byte-exact agreement with the reference safetensors writer's own test
// vectors, a fixture cross-checked with an independent reader, each validation rule by name,
// the Axon metadata layer and the atomic write.
import { describe, it, expect } from 'vitest';
import { readFileSync, mkdtempSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, decodeSafetensors, readAxonModelFile, encodeAxonModelFile, StTensorIn } from '../../src/format/safetensors.js';
import { writeFileAtomic } from '../../targets/node/fs.js';
import { AxonError } from '../../src/errors.js';
// @ts-ignore: plain ESM helper shared with the fixture generator
import { sampleTensors, SAMPLE_METADATA } from '../fixtures/gen-safetensors.mjs';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/${f}`, import.meta.url));
const f32Bytes = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const u8 = (...v: number[]) => Uint8Array.from(v);
const header = (json: string, body = new Uint8Array(0)) => {
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + body.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8); out.set(body, 8 + h.length);
  return out;
};
const bad = (bytes: Uint8Array, re: RegExp) => {
  let err: unknown;
  try { decodeSafetensors(bytes, 'm.axon'); } catch (e) { err = e; }
  expect(err, `expected ${re}`).toBeInstanceOf(AxonError);
  expect((err as AxonError).code).toBe('BAD_MODEL_FILE');
  expect((err as AxonError).message).toMatch(/^m\.axon: /);
  expect((err as AxonError).message).toMatch(re);
};

describe('safetensors: the reference writer\'s test vectors (huggingface/safetensors tensor.rs)', () => {
  it('one F32 tensor "attn.0" [1,2,3]', () => {
    const want = u8(64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34,
      44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91,
      48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64);
    expect(encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: f32Bytes(0, 1, 2, 3, 4, 5) } })).toEqual(want);
    const t = decodeSafetensors(want, 'v').tensors.get('attn.0')!;
    expect(t.shape).toEqual([1, 2, 3]);
    expect(Array.from(t.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it('header padded with spaces to 8 bytes ("attn0" [1,1,2,3])', () => {
    const out = encodeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: f32Bytes(0, 1, 2, 3, 4, 5) } });
    expect(out[0]).toBe(72);
    expect(Array.from(out.subarray(8 + 65, 8 + 72))).toEqual([32, 32, 32, 32, 32, 32, 32]);
    expect(decodeSafetensors(out, 'v').tensors.get('attn0')!.data.byteOffset % 4).toBe(0);
  });
  it('no tensors, with and without metadata', () => {
    expect(encodeSafetensors({})).toEqual(u8(8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32));
    const withMd = encodeSafetensors({}, { framework: 'pt' });
    expect(withMd.length).toBe(48);
    expect(new TextDecoder().decode(withMd.subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
    expect(decodeSafetensors(withMd, 'v')).toEqual({ tensors: new Map(), metadata: { framework: 'pt' } });
  });
});

describe('safetensors: fixture cross-checked with @huggingface/hub', () => {
  const bytes = new Uint8Array(fixture('sample.safetensors'));
  const ref = JSON.parse(fixture('sample.reference.json').toString());
  it('decodes every tensor, value for value, and the metadata', () => {
    const { tensors, metadata } = decodeSafetensors(bytes, 'sample');
    expect(metadata).toEqual(SAMPLE_METADATA);
    const want = sampleTensors() as Record<string, StTensorIn>;
    expect([...tensors.keys()]).toEqual(Object.keys(want));
    for (const [name, t] of Object.entries(want)) {
      const got = tensors.get(name)!;
      expect([got.dtype, got.shape], name).toEqual([t.dtype, t.shape]);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(got.data as ArrayLike<number>), name).toEqual(Array.from(t.data as unknown as ArrayLike<number>));
    }
  });
  it('agrees with the reference reader on header length, dtypes, shapes, offsets and metadata', () => {
    expect(bytes.length).toBe(ref.fileBytes);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)).toBe(ref.headerLength);
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + ref.headerLength)))).toEqual(ref.header);
  });
  it('re-encodes byte for byte', () => {
    expect(encodeSafetensors(sampleTensors(), SAMPLE_METADATA)).toEqual(bytes);
  });
  it('returns aligned views by default and copies on request', () => {
    const padded = new Uint8Array(bytes.length + 3); padded.set(bytes, 3);
    const view = decodeSafetensors(bytes, 's').tensors.get('emb')!.data;
    expect(view.buffer).toBe(bytes.buffer);
    const shifted = decodeSafetensors(padded.subarray(3), 's').tensors.get('emb')!.data;
    expect(shifted.buffer).not.toBe(padded.buffer);
    expect(Array.from(shifted as Float32Array)).toEqual(Array.from(view as Float32Array));
    expect(decodeSafetensors(bytes, 's', { copy: true }).tensors.get('emb')!.data.buffer).not.toBe(bytes.buffer);
  });
});

describe('safetensors: validation', () => {
  const ok = (extra = '') => `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}${extra}}`;
  it('accepts a hand-written file', () => expect(decodeSafetensors(header(ok(), new Uint8Array(8)), 'm').tensors.size).toBe(1));
  it('rejects short, truncated and oversized headers', () => {
    bad(u8(1, 2, 3), /shorter than the 8-byte/);
    bad(header(ok()).subarray(0, 20), /header claims \d+ bytes but the file has only 12/);
    bad(u8(0, 0, 0, 0, 1, 0, 0, 0), /exceeds the limit/);
    expect(() => decodeSafetensors(header(ok(), new Uint8Array(8)), 'm', { maxHeaderBytes: 10 })).toThrow(/exceeds the limit of 10/);
  });
  it('reads ASCII and UTF-8 headers of any length alike (metadata text round-trips)', () => {
    for (const text of ['plain', 'x'.repeat(20000), 'é → ✓ ' + 'y'.repeat(9000), '\u0001 ctl \u007f']) {
      const f = encodeSafetensors({ a: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) } }, { note: text });
      expect(decodeSafetensors(f, 'm').metadata.note).toBe(text);
    }
  });
  it('rejects bad UTF-8, bad JSON and non-objects', () => {
    const b = header(ok(), new Uint8Array(8)); b[9] = 0xff;
    bad(b, /not valid UTF-8/);
    bad(header('{"a":', new Uint8Array(8)), /not valid JSON/);
    bad(header('[1,2]'), /does not start with "\{"/);
    bad(header('{"a":1}'), /tensor "a": entry must be an object/);
  });
  it('rejects unknown dtypes, bad shapes and bad offsets', () => {
    bad(header('{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}', new Uint8Array(8)), /unknown dtype "F31"/);
    bad(header('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', new Uint8Array(8)), /shape must be an array of non-negative integers/);
    bad(header('{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}', new Uint8Array(8)), /non-negative integers/);
    bad(header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', new Uint8Array(8)), /0 <= begin <= end/);
    bad(header('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(8)), /F32 shape \[3\] needs 12 bytes, but data_offsets span 8/);
    bad(header('{"a":{"dtype":"F32","shape":[1e15,1e15],"data_offsets":[0,8]}}', new Uint8Array(8)), /needs more bytes than the file holds/);
    bad(header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}', new Uint8Array(8)), /run past the 8-byte data section/);
  });
  it('rejects overlaps, gaps and uncovered bytes', () => {
    bad(header(ok(',"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}'), new Uint8Array(8)), /overlap/);
    bad(header(ok(',"b":{"dtype":"U8","shape":[4],"data_offsets":[12,16]}'), new Uint8Array(16)), /gap after byte 8/);
    bad(header(ok(), new Uint8Array(9)), /cover 8 bytes but the data section has 9/);
  });
  it('rejects non-string metadata and enforces maxTensorBytes', () => {
    bad(header('{"__metadata__":{"v":1}}'), /__metadata__ value "v" is number/);
    bad(header('{"__metadata__":[]}'), /__metadata__ must be an object/);
    expect(() => decodeSafetensors(header(ok(), new Uint8Array(8)), 'm', { maxTensorBytes: 4 })).toThrow(/8 bytes exceed the limit of 4/);
  });
  it('encode rejects what it could not write faithfully', () => {
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/needs 12 bytes of data, got 8/);
    expect(() => encodeSafetensors({ a: { dtype: 'X' as 'F32', shape: [1], data: new Float32Array(1) } })).toThrow(/unknown dtype/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } })).toThrow(/reserved/);
    expect(() => encodeSafetensors({}, { a: 1 as unknown as string })).toThrow(/must be a string/);
  });
});

describe('Axon model files', () => {
  const tensors = { w: { dtype: 'F32' as const, shape: [2], data: Float32Array.of(1, 2) } };
  const withMd = (md: Record<string, string>) => encodeSafetensors(tensors, md);
  const axonBad = (bytes: Uint8Array, re: RegExp) => expect(() => readAxonModelFile(bytes, 'm.axon')).toThrowError(re);
  it('round-trips graph, quant and tensors', () => {
    const m = readAxonModelFile(encodeAxonModelFile({ graph: { layers: [{ type: 'dense' }] }, tensors, quant: { w: { scale: 'w.scale' } } }), 'm.axon');
    expect(m.version).toBe(1);
    expect(m.graph).toEqual({ layers: [{ type: 'dense' }] });
    expect(m.quant).toEqual({ w: { scale: 'w.scale' } });
    expect(Array.from(m.tensors.get('w')!.data as Float32Array)).toEqual([1, 2]);
    expect(readAxonModelFile(encodeAxonModelFile({ graph: {}, tensors }), 'm').quant).toBeUndefined();
  });
  it('says what is missing or unknown', () => {
    axonBad(withMd({}), /m\.axon: no __metadata__\.format: this is a plain safetensors file/);
    axonBad(withMd({ format: 'gguf' }), /format is "gguf", expected "axon"/);
    axonBad(withMd({ format: 'axon', graph: '{}' }), /version is missing/);
    axonBad(withMd({ format: 'axon', version: '2', graph: '{}' }), /version 2 is newer than this Axon reads \(1\); upgrade axon/);
    axonBad(withMd({ format: 'axon', version: 'one', graph: '{}' }), /not a version number/);
    axonBad(withMd({ format: 'axon', version: '1' }), /graph is missing/);
    axonBad(withMd({ format: 'axon', version: '1', graph: '{' }), /graph is not valid JSON/);
    axonBad(withMd({ format: 'axon', version: '1', graph: '[]' }), /graph must be a JSON object/);
    axonBad(withMd({ format: 'axon', version: '1.3', graph: '{}', quant: 'null' }), /quant must be a JSON object/);
    expect(() => readAxonModelFile(withMd({}), 'm')).toThrow(AxonError);
  });
});

describe('writeFileAtomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-fs-'));
  it('writes and replaces a file, leaving no temp file', () => {
    const p = join(dir, 'm.axon');
    writeFileAtomic(p, u8(1, 2, 3));
    writeFileAtomic(p, u8(4, 5));
    expect(Array.from(readFileSync(p))).toEqual([4, 5]);
    expect(readdirSync(dir)).toEqual(['m.axon']);
  });
  it('fails with AxonError IO and cleans up', () => {
    expect(() => writeFileAtomic(join(dir, 'missing', 'm.axon'), u8(1))).toThrowError(/could not create a temp file/);
    mkdirSync(join(dir, 'isdir')); writeFileSync(join(dir, 'isdir', 'x'), 'x');
    let err: unknown;
    try { writeFileAtomic(join(dir, 'isdir'), u8(1)); } catch (e) { err = e; }
    expect((err as AxonError).code).toBe('IO');
    expect((err as AxonError).message).toMatch(/could not rename/);
    expect(readdirSync(dir).sort()).toEqual(['isdir', 'm.axon']);
  });
});
