// The conformance runner page's script (bundled by tests/targets/browser/conformance.test.ts):
// the browser target's own loader fetches the build asked for from beside this bundle.
import { loadEngine } from '../../../targets/browser/index.js';
import type { BuildName } from '../../../src/runtime/engine.js';
import { runAll } from './run-all.js';

(globalThis as unknown as Record<string, unknown>).axonConformance = async (build: BuildName) => runAll(await loadEngine({ build }));
