// A tiny static server for the browser target (127.0.0.1 only): `node targets/browser/serve.mjs [dir] [port]`
// serves dist/browser (after `npm run build`); open /demo/ for the digits demo. .wasm goes out as
// application/wasm (what streaming compilation needs); /plain/… serves the same files as
// application/octet-stream (the tests use it to check the loader's fallback). Pages are served
// cross-origin isolated (COOP same-origin + COEP require-corp: what SharedArrayBuffer, and so the
// threaded builds, need) unless { isolated: false } (the tests check the single-thread fallback).
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.map': 'application/json', '.json': 'application/json', '.npy': 'application/octet-stream', '.png': 'image/png', '.tsv': 'text/tab-separated-values; charset=utf-8' };

/** @returns {Promise<{ server: import('node:http').Server, url: string, close: () => Promise<void> }>} */
export function serveStatic(dir, { port = 0, host = '127.0.0.1', isolated = true } = {}) {
  const isolation = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const root = resolve(dir);
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const plain = path.startsWith('/plain/');
    if (plain) path = path.slice('/plain'.length);
    let file = normalize(join(root, path));
    const inside = (f) => f === root || f.startsWith(root + sep);
    if (inside(file) && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!inside(file) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    res.writeHead(200, { 'content-type': plain ? 'application/octet-stream' : MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...isolation });
    res.end(readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok({ server, url: `http://${host}:${server.address().port}`, close: () => new Promise((done) => server.close(() => done())) }));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { url } = await serveStatic(process.argv[2] ?? 'dist/browser', { port: Number(process.argv[3] ?? 8080) });
  console.log(`serving ${process.argv[2] ?? 'dist/browser'} on ${url}; demo: ${url}/demo/`);
}
