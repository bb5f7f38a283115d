// The Node target's compile cache (targets/node/compile_cache.ts) through the built package: the
// first process writes V8's cache when it exits, the next ones use it, a damaged cache is rejected
// by V8 and replaced, AXON_COMPILE_CACHE=0 turns it off, a directory others can write to is not
// trusted; predictions are the same bits every time.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const program = `
  import { readFileSync } from 'node:fs';
  import { loadEngine, modelFromBytes, Tensor } from 'axon/infer';
  const { model } = modelFromBytes(readFileSync('targets/workers/template/model/digits.axon'), 'digits', await loadEngine());
  const y = await model.predict(new Tensor(Float32Array.from({ length: 128 }, (_, i) => (i % 17) / 8 - 1), [2, 64]));
  const { cacheStates } = await import('./dist/compile-cache.js');
  process.stdout.write(JSON.stringify({ y: Array.from(y.data), states: [...cacheStates.values()] }));`;
const importOnly = `
  await import('axon/infer');
  const { cacheStates } = await import('./dist/compile-cache.js');
  process.stdout.write(JSON.stringify({ states: [...cacheStates.values()] }));`;
const run = (cache: string, execArgv: string[] = [], code = program) => JSON.parse(execFileSync(process.execPath, [...execArgv, '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', env: { ...process.env, AXON_COMPILE_CACHE: cache } }));

describe('compile cache', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'axon-cc-test-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is written by the first process, used by the next, replaced when damaged; same predictions', () => {
    const first = run(dir);
    expect(first.states).toEqual(['none']);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^chunk-\w+\.script-v\d+\.\d+\.\d+-\w+-[0-9a-f]+\.v8cache$/);
    const again = run(dir);
    expect(again.states).toEqual(['used']);
    expect(again.y).toEqual(first.y);

    const file = join(dir, files[0]), good = readFileSync(file);
    const bad = Buffer.from(good); for (let i = 64; i < bad.length; i += 97) bad[i] ^= 0x5a;
    writeFileSync(file, bad);
    const damaged = run(dir);
    expect(damaged.states).toEqual(['rejected']);
    expect(damaged.y).toEqual(first.y);
    expect(readFileSync(file).equals(bad)).toBe(false);        // replaced by a fresh one
    expect(run(dir).states).toEqual(['used']);

    // cut short (a payload shorter than its header says) or empty: rejected and replaced as well
    for (const cut of [good.subarray(0, good.length - 8), good.subarray(0, 12), Buffer.alloc(0)]) {
      writeFileSync(file, cut);
      const short = run(dir);
      expect(short.states).toEqual(['rejected']);
      expect(short.y).toEqual(first.y);
      expect(run(dir).states).toEqual(['used']);
    }

    // other V8 flags: another cache file, so differently started processes do not take turns
    expect(run(dir, ['--max-old-space-size=200']).states).toEqual(['none']);
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('grows when the processes after its writer compile more (a few times), then stays as it is', () => {
    expect(run(dir, [], importOnly).states).toEqual(['none']);        // written by a process that ran no model
    const file = join(dir, readdirSync(dir)[0]);
    const header = () => { const b = readFileSync(file); return { bytes: b.length, generation: b.readUInt32LE(16) }; };
    const small = header();
    expect(small.generation).toBe(0);
    expect(run(dir).states).toEqual(['used']);
    const grown = header();
    expect(grown.bytes).toBeGreaterThan(small.bytes);                  // now with the model code the predicting process compiled
    expect(grown.generation).toBe(1);
    run(dir); run(dir);
    const last = readFileSync(file);
    expect(last.readUInt32LE(16)).toBe(3);
    expect(run(dir).states).toEqual(['used']);
    expect(readFileSync(file).equals(last)).toBe(true);               // no more rewrites
  });

  it('keeps the 24 most recently written caches in its directory', () => {
    for (let k = 0; k < 30; k++) { writeFileSync(join(dir, `chunk-OLD${k}.script-v0.0.0-x64-0.v8cache`), 'old'); utimesSync(join(dir, `chunk-OLD${k}.script-v0.0.0-x64-0.v8cache`), 1000 + k, 1000 + k); }
    writeFileSync(join(dir, 'notes.txt'), 'not a cache');
    expect(run(dir).states).toEqual(['none']);
    const left = readdirSync(dir);
    expect(left.filter((f) => f.endsWith('.v8cache'))).toHaveLength(24);
    expect(left).toContain('notes.txt');
    expect(left.filter((f) => f.startsWith('chunk-OLD')).sort()).toEqual(Array.from({ length: 23 }, (_, k) => `chunk-OLD${k + 7}.script-v0.0.0-x64-0.v8cache`).sort());
    expect(run(dir).states).toEqual(['used']);                          // the one just written stays
    // a cache in steady use (no longer rewritten) is marked used, so pruning keeps it
    const mine = readdirSync(dir).find((f) => !f.startsWith('chunk-OLD') && f.endsWith('.v8cache'))!;
    run(dir); run(dir); run(dir);                                        // past its refreshes
    utimesSync(join(dir, mine), 500, 500);                               // older than every OLD one
    expect(run(dir).states).toEqual(['used']);
    expect(statSync(join(dir, mine)).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('is off with AXON_COMPILE_CACHE=0 and in a directory others can write to', () => {
    const off = run('0');
    expect(off.states).toEqual(['off']);
    chmodSync(dir, 0o777);
    const shared = run(dir);
    expect(shared.states).toEqual(['off']);
    expect(readdirSync(dir)).toHaveLength(0);
    expect(shared.y).toEqual(off.y);
  });
});

describe('compile cache pieces', () => {
  it('digest is 64-bit FNV-1a over the zero-padded 8-byte words (a plain BigInt reference)', async () => {
    const { compileCache } = await import('../../../targets/node/compile_cache.js');
    const { digest } = compileCache(process.getBuiltinModule);
    const ref = (b: Uint8Array) => {
      const p = new Uint8Array(Math.ceil(b.length / 8) * 8); p.set(b);
      const dv = new DataView(p.buffer);
      let x = 0xcbf29ce484222325n;
      for (let k = 0; k < p.length; k += 8) x = BigInt.asUintN(64, (x ^ dv.getBigUint64(k, true)) * 0x100000001b3n);
      return x;
    };
    for (const n of [0, 1, 7, 8, 9, 63, 64, 65, 616, 65536, 200_003, 12]) {   // (the wasm hashes eight words a loop turn, then the rest)
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);
      expect(digest(b), `${n} bytes`).toBe(ref(b));
      if (n) { b[n >> 1] ^= 1; expect(digest(b)).toBe(ref(b)); }
    }
  });

  it('the built scripts are minified, and their source maps lead each function back to its TypeScript line', async () => {
    const { SourceMap } = await import('node:module');
    const dir = join(root, 'dist/chunks'), scripts = readdirSync(dir).filter((f) => f.endsWith('.script.js'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const f of scripts) {
      const text = readFileSync(join(dir, f), 'utf8'), map = new SourceMap(JSON.parse(readFileSync(join(dir, `${f}.map`), 'utf8')));
      expect(text.split('\n').length, f).toBeLessThan(text.length / 5000);   // (minified: lines only inside template literals)
      expect(text.endsWith(`//# sourceMappingURL=${f}.map\n`), f).toBe(true);
      const fns = [...text.matchAll(/function ([A-Za-z_$][\w$]*)\(/g)].slice(0, 40);
      expect(fns.length, f).toBe(40);
      for (const m of fns) {
        const before = text.slice(0, m.index), line = before.split('\n').length - 1, col = m.index! - before.lastIndexOf('\n') - 1;
        const e = map.findEntry(line, col) as { originalSource: string; originalLine: number };
        const src = readFileSync(e.originalSource.startsWith('file:') ? fileURLToPath(e.originalSource) : join(dir, e.originalSource), 'utf8').split('\n');
        // (the bundler numbers a name two modules share: compile2 is some module's compile)
        expect(src[e.originalLine], `${f}: ${m[1]} → ${e.originalSource}:${e.originalLine + 1}`).toContain(`function ${m[1].replace(/\d+$/, '')}`);
      }
    }
  });

  it('the build turns a chunk into a script + ESM shim, and leaves chunks it cannot convert safely alone', async () => {
    const { scriptChunk } = await import('../../../scripts/script-chunks.mjs');
    const d = mkdtempSync(join(tmpdir(), 'axon-chunk-test-'));
    try {
      // a stand-in for compileCache's source: runs the script without a cache
      const loader = '(builtin) => ({ runScript: (u, deps, meta, imp) => new (builtin("node:vm").Script)(builtin("node:fs").readFileSync(builtin("node:url").fileURLToPath(u), "latin1")).runInThisContext()(deps, meta, imp) })';
      const chunk = (name: string, text: string) => { writeFileSync(join(d, name), text); return scriptChunk(join(d, name), loader); };
      writeFileSync(join(d, 'dep.js'), 'export const base = 40;');
      expect(chunk('ok.js', ['import { base as b0 } from "./dep.js";', 'var k = class { get v() { return b0 + 2; } };', 'import * as path from "node:path";',
        'function where() { return path.basename(new URL(import.meta.url).pathname); }', 'let counter = 0; // ⇄ non-ASCII', 'var s = "é → ✓";', 'export {', '  k as K,', '  s,', '  where', '};', '//# sourceMappingURL=ok.js.map'].join('\n'))).toEqual({ deps: ['./dep.js', 'node:path'], exports: ['K', 's', 'where'] });
      const m = await import(pathToFileURL(join(d, 'ok.js')).href);
      expect(new m.K().v).toBe(42);
      expect(m.where()).toBe('ok.js');            // import.meta.url is still the chunk's own URL
      expect(m.s).toBe('é → ✓');                   // non-ASCII text survives the script's ASCII escaping
      expect(/[^\x00-\x7f]/.test(readFileSync(join(d, 'ok.script.js'), 'utf8'))).toBe(false);
      const lines = readFileSync(join(d, 'ok.script.js'), 'utf8').split('\n');   // code stays on its lines: the source map still applies
      expect(lines[1]).toBe('var k = class { get v() { return b0 + 2; } };');
      expect(lines[3]).toBe('function where() { return path.basename(new URL(__meta_url).pathname); }');
      expect(chunk('dyn.js', 'var f = () => import("node:fs");\nexport {\n  f\n};')).toEqual({ deps: [], exports: ['f'] });
      expect(typeof (await (await import(pathToFileURL(join(d, 'dyn.js')).href)).f()).readFileSync).toBe('function'); // the shim's import()
      expect(chunk('computed.js', 'var g = (n) => import(n);\nexport {\n  g\n};')).toBe(false);
      expect(chunk('let.js', 'let n = 0;\nfunction inc() { n += 1; }\nexport {\n  inc,\n  n\n};')).toBe(false);   // a live binding
      expect(chunk('default.js', 'var x = 1;\nexport {\n  x as default\n};')).toBe(false);
      expect(readFileSync(join(d, 'computed.js'), 'utf8')).toContain('import(n)');
    } finally { rmSync(d, { recursive: true, force: true }); }
  });
});
