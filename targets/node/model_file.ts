// Model files from disk for the Node entries: `loadModel(path)` is modelFromBytes on the file's
// bytes, with file-system errors as AxonError('IO') that name the path. Synchronous: a process that
// loads one model at startup gains nothing from an async read (and an app that needs no node:fs of
// its own skips loading it as an ES module, ~2 ms of a cold start).
import { readWhole } from './read_file.js';
import { readError } from './read_error.js';
import type { Engine } from '../../src/runtime/engine.js';
import { modelFromBytes, type ModelGraph } from '../../src/model/serialize.js';
import type { Model } from '../../src/model/model.js';
import { useAllLayerFamilies } from '../../src/layers/all_families.js';

useAllLayerFamilies();   // (the Node entries carry every layer: a model file loads synchronously)

/** The bytes of a model file; AxonError('IO') when it is missing or unreadable. */
export function readModelFile(path: string): Uint8Array {
  try { return readWhole(path); } catch (e) { throw readError(path, e, 'model file'); }
}

/**
 * Loads an .axon model file: the model (on `engine`, else the process's default engine when it
 * first runs) and its graph (`graph.extra` holds what the trainer saved, e.g. the normalizer).
 * Throws AxonError('IO') for file-system errors and 'BAD_MODEL_FILE' for malformed files.
 */
export function loadModel(path: string, engine?: Engine): { model: Model; graph: ModelGraph } {
  return modelFromBytes(readModelFile(path), path, engine, { copy: false });   // (nobody else holds the bytes: one copy fewer)
}
