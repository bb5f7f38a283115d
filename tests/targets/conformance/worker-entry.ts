// The conformance runner Worker (bundled by tests/targets/workers/conformance.test.ts):
// GET /?build=simd|relaxed runs every case on the Workers target's engine for that build.
import { loadEngine } from '../../../targets/workers/index.js';
import type { BuildName } from '../../../src/runtime/engine.js';
import { runAll } from './run-all.js';

export default {
  async fetch(req: Request): Promise<Response> {
    const build = (new URL(req.url).searchParams.get('build') ?? 'simd') as BuildName;
    try { return Response.json(await runAll(await loadEngine({ build }))); } catch (e) { return new Response(String((e as Error).stack ?? e), { status: 500 }); }
  },
};
