// Model files from disk for the Node entries: `loadModel(path)` is modelFromBytes on the file's
// bytes, with file-system errors as AxonError('IO') that name the path. Synchronous: a process that
// loads one model at startup gains nothing from an async read (and an app that needs no node:fs of
// its own skips loading it as an ES module, ~2 ms of a cold start).
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { readError } from './read_error.js';
import type { Engine } from '../../src/runtime/engine.js';
import { modelFromBytes, type ModelGraph } from '../../src/model/serialize.js';
import type { Model } from '../../src/model/model.js';
import { useAllLayerFamilies } from '../../src/layers/all_families.js';

useAllLayerFamilies();   // (the Node entries carry every layer: a model file loads synchronously)

/** The bytes of a model file; AxonError('IO') when it is missing or unreadable. */
export function readModelFile(path: string): Uint8Array {
  try { return readPieces(path); } catch (e) { throw readError(path, e, 'model file'); }
}

const PIECE = 32768;
/**
 * A regular file's bytes read in pieces into one small buffer and copied into one array (other
 * files, and small ones: readFileSync). NOTE: on some VMs (the AMD EPYC class of BENCHMARKS.md W7)
 * memory the kernel filled by read(2) faults again when user code first touches it (~7 µs a 4 KiB
 * page; memory filled by a copy does not): for W2's 0.94 MB file, checking and copying the weights
 * cost ~1.3 ms more after readFileSync than the copies here do.
 */
function readPieces(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size <= PIECE) return readFileSync(fd);
    const out = new Uint8Array(st.size), piece = new Uint8Array(PIECE);
    let at = 0;
    for (let n; at < out.length && (n = readSync(fd, piece, 0, Math.min(PIECE, out.length - at), at)) > 0; at += n) out.set(n === PIECE ? piece : piece.subarray(0, n), at);
    if (at < out.length) return out.subarray(0, at);   // (the file shrank meanwhile: what it had, as readFileSync gives)
    return out;
  } finally { closeSync(fd); }
}

/**
 * Loads an .axon model file: the model (on `engine`, else the process's default engine when it
 * first runs) and its graph (`graph.extra` holds what the trainer saved, e.g. the normalizer).
 * Throws AxonError('IO') for file-system errors and 'BAD_MODEL_FILE' for malformed files.
 */
export function loadModel(path: string, engine?: Engine): { model: Model; graph: ModelGraph } {
  return modelFromBytes(readModelFile(path), path, engine, { copy: false });   // (nobody else holds the bytes: one copy fewer)
}
