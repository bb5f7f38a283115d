// Runs the bundled template Worker (dist/workers/worker.js) in real workerd through miniflare, on
// 127.0.0.1 and a free port: used by tests/targets/workers and bench/workers-load.mjs.
import { Miniflare } from 'miniflare';
import { resolve } from 'node:path';

export const COMPATIBILITY_DATE = '2026-04-20';

/**
 * @param {{ dir?: string, script?: string, build?: 'auto' | 'simd' | 'relaxed', kvPersist?: string | false, port?: number, log?: boolean, finetuneLr?: number }} [o]
 *   script: the Worker module in `dir` (default worker.js, the template); finetuneLr: the FINETUNE_LR binding (default 0.05)
 * @returns {Promise<{ url: string, mf: Miniflare, close: () => Promise<void> }>}
 */
export async function startWorker(o = {}) {
  const dir = resolve(o.dir ?? 'dist/workers');
  const mf = new Miniflare({
    modules: true,
    scriptPath: `${dir}/${o.script ?? 'worker.js'}`,
    modulesRoot: dir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }, { type: 'Data', include: ['**/*.axon'] }],
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: ['WEIGHTS'],
    kvPersist: o.kvPersist ?? false,
    bindings: { AXON_BUILD: o.build ?? 'auto', FINETUNE_LR: String(o.finetuneLr ?? 0.05) },
    host: '127.0.0.1',
    port: o.port ?? 0,
    ...(o.log ? {} : { handleRuntimeStdio: () => {} }),
  });
  const url = String(await mf.ready).replace(/\/$/, '');
  return { url, mf, close: () => mf.dispose() };
}
