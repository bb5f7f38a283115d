// The Node target's workers for the threaded builds: worker_threads, each instantiating the module
// over the instance's shared memory and parking in mt_worker. Unref'd: a process exits when its
// work is done, whatever its workers wait for. node:worker_threads loads only when a pool starts.
import type { WorkerStarter } from '../../src/runtime/threads.js';

const WORKER = `const { workerData } = require('node:worker_threads');
const { module, memory, tid } = workerData;
new WebAssembly.Instance(module, { env: { memory } }).exports.mt_worker(tid);`;

export async function nodeWorkerStarter(): Promise<WorkerStarter> {
  const { Worker } = await import('node:worker_threads');
  return (init, onError) => {
    const w = new Worker(WORKER, { eval: true, workerData: init });
    w.on('error', onError);
    w.unref();
    return { terminate: () => void w.terminate() };
  };
}
