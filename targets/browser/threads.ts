// The browser target's workers for the threaded builds: Web Workers from a small inline script,
// each instantiating the module over the instance's shared memory (both posted to it) and parking
// in mt_worker. Only a cross-origin isolated page has SharedArrayBuffer (COOP same-origin + COEP
// require-corp; the engine checks crossOriginIsolated before it picks a threaded build). A blob:
// worker inherits the page's isolation. The page's own thread never waits on an atomic (browsers
// forbid it there): it only notifies the workers and spins while the last tasks finish.
import type { WorkerStarter } from '../../src/runtime/threads.js';

const WORKER = `onmessage = (e) => {
  const { module, memory, tid } = e.data;
  new WebAssembly.Instance(module, { env: { memory } }).exports.mt_worker(tid);
};`;

export async function browserWorkerStarter(): Promise<WorkerStarter> {
  const url = URL.createObjectURL(new Blob([WORKER], { type: 'text/javascript' }));
  return (init, onError) => {
    const w = new Worker(url);
    w.onerror = (e) => onError(e.message || 'worker failed');
    w.postMessage(init);
    return { terminate: () => w.terminate() };
  };
}
