// Runs the federated Worker (dist/federated/worker.js) in real workerd through miniflare, with its
// Durable Object namespace; `persist` keeps the objects' storage in a directory, so a test or a
// benchmark can stop workerd and start it again on the same state.
import { Miniflare } from 'miniflare';
import { resolve } from 'node:path';
import { COMPATIBILITY_DATE } from '../miniflare.mjs';

/**
 * @param {{ dir?: string, persist?: string | false, secret?: string, admin?: string, log?: boolean }} [o]
 * @returns {Promise<{ url: string, mf: Miniflare, close: () => Promise<void> }>}
 */
export async function startFederated(o = {}) {
  const dir = resolve(o.dir ?? 'dist/federated');
  const mf = new Miniflare({
    modules: true, scriptPath: `${dir}/worker.js`, modulesRoot: dir, compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: { JOBS: 'FederatedJob' }, durableObjectsPersist: o.persist ?? false,
    bindings: { FED_SECRET: o.secret ?? 'test-secret', ADMIN_TOKEN: o.admin ?? 'owner-token' },
    host: '127.0.0.1', port: 0,
    ...(o.log ? {} : { handleRuntimeStdio: () => {} }),
  });
  const url = String(await mf.ready).replace(/\/$/, '');
  return { url, mf, close: () => mf.dispose() };
}
