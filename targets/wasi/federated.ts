// A WASI device in a federated job, through a small Node host: the host pulls the round's weights
// (FederatedClient), compiles them into a device bundle, runs `axon.wasi.wasm finetune` on the
// device's data files (the program trains; the data never reach the host's JS), merges the
// weights it wrote back into the model (mergeBundleWeights) and pushes the delta. On a real device
// the same steps are the device's own loop: the bundle and weights files are all it needs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxonError } from '../../src/errors.js';
import { compileBundle } from '../../src/wasi/bundle.js';
import { mergeBundleWeights } from '../../src/wasi/merge.js';
import { modelFromBytes, modelToBytes } from '../../src/model/serialize.js';
import type { CompileOptions } from '../../src/model/model.js';
import type { FederatedClient, UpdateResult } from '../../src/federated/client.js';
import { runNodeWasi } from './run.js';

export interface WasiRoundOptions {
  /** the job's model file (from FederatedClient.model's bytes or your own copy) */
  modelFile: Uint8Array;
  /** how the device trains: the compile settings (optimizer, loss) and the bundle's batch */
  compile: CompileOptions; batch: number;
  /** the device's data: f32 rows and labels as the WASI program reads them (raw little-endian files) */
  x: Uint8Array; y: Uint8Array; rows: number;
  /** finetune arguments (e.g. ['--epochs', '1', '--lr', '0.05']) */
  args?: string[];
}

/** One round on a WASI device: pull, compile, finetune under WASI, merge, push. */
export async function wasiFederatedRound(fc: FederatedClient, o: WasiRoundOptions): Promise<UpdateResult & { stdout: string }> {
  const { round, finished, weights } = await fc.pull();
  if (finished) throw new AxonError('BAD_ARGUMENT', `federated job ${fc.opts.job} has finished`);
  const { model } = modelFromBytes(o.modelFile, 'federated model');
  model.setWeights(weights);
  model.compile(o.compile);
  const file = modelToBytes(model), bundle = await compileBundle(modelFromBytes(file).model, { batch: o.batch, device: true });
  const dir = mkdtempSync(join(tmpdir(), 'axon-wasi-fed-'));
  try {
    for (const [name, bytes] of [['d.axb', bundle], ['x.bin', o.x], ['y.bin', o.y]] as const) writeFileSync(join(dir, name), bytes);
    const r = await runNodeWasi(['finetune', '/io/d.axb', '/io/x.bin', '/io/y.bin', '/io/w.bin', ...(o.args ?? [])], { preopens: { '/io': dir } });
    if (r.code !== 0) throw new AxonError('IO', `the WASI program exited ${r.code}: ${r.stderr.trim()}`);
    const after = modelFromBytes(mergeBundleWeights(file, bundle, new Uint8Array(readFileSync(join(dir, 'w.bin'))))).model.getWeights();
    return { ...(await fc.push(weights, after, o.rows, round)), stdout: r.stdout };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}
