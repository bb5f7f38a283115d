// Build step for the Node target's compile cache (targets/node/compile_cache.ts): turns an esbuild
// ESM chunk into a classic script (chunk-X.script.js: one function taking its imports, returning
// its exports) plus an ESM shim under the chunk's own name that imports what the chunk imported,
// runs the script through the cache and re-exports its results. Node 20 cannot cache the compiled
// code of ES modules; it can cache a vm.Script's. Lines are kept in place (imports become blank
// lines, the wrapper opens on line 1), so the chunk's source map still applies. The cache's loader
// (`loader`: the source of compileCache) is inlined into each shim, and an entry that only
// re-exports one script chunk (axon/infer) becomes such a shim itself: every ES module file on the
// way costs ~1 ms of cold start. minifyScript then minifies a script (its own source map).
// Conservative: a chunk with an import() of a computed name, top-level await, import forms other than named /
// namespace / side-effect, an export other than the one final `export { … }` list, or an exported
// binding that is ever reassigned stays an ES module (returns false).
import { readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { Script } from 'node:vm';
import { build } from 'esbuild';

const IDENT = /^[A-Za-z_$][\w$]*$/;
let reason = '';
const why = (r) => { reason = r; return false; };
/** Why the last scriptChunk() call left its chunk an ES module. */
export const lastReason = () => reason;

/**
 * Converts dist chunk `file` in place; `loader` is compileCache's source. Returns what inlineEntry
 * needs ({ deps, exports: [local, exported] }) or false (see lastReason()).
 */
export function scriptChunk(file, loader) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const text = lines.join('\n');
  // import("literal") becomes __import("literal"): the shim's own import(), resolving from the same directory
  const dynamic = /(?<![\w$.])import\((?=")/g;
  const rest = text.replace(dynamic, '');
  if (/\bimport\s*\(/.test(rest) || /^await\b/m.test(text) || /import\.meta(?!\.url)/.test(text)) return why('import() of a computed name, top-level await or import.meta other than .url');
  const deps = [];        // { spec, names: [[imported, local]] | null (namespace: local) , ns }
  for (let k = 0; k < lines.length; k++) {
    if (!lines[k].startsWith('import')) continue;
    let end = k;
    while (!/;\s*$/.test(lines[end]) && end < lines.length - 1) end++;
    const stmt = lines.slice(k, end + 1).join(' ');
    let m;
    if ((m = /^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";\s*$/.exec(stmt))) {
      const names = m[1].split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.split(/\s+as\s+/));
      if (!names.every((n) => n.every((x) => IDENT.test(x)))) return why(`import names: ${stmt}`);
      deps.push({ spec: m[2], names: names.map(([a, b]) => [a, b ?? a]) });
    } else if ((m = /^import\s*\*\s*as\s+([\w$]+)\s+from\s*"([^"]+)";\s*$/.exec(stmt))) {
      deps.push({ spec: m[2], ns: m[1] });
    } else if ((m = /^import\s*"([^"]+)";\s*$/.exec(stmt))) {
      deps.push({ spec: m[1], names: [] });
    } else return why(`import form: ${stmt}`);
    for (let j = k; j <= end; j++) lines[j] = '';
    k = end;
  }
  // the export list: the last statement before the source map comment
  const at = lines.findIndex((l) => l.startsWith('export'));
  if (at < 0 || !lines[at].startsWith('export {')) return why('no export list');
  let end = at;
  while (!/^\};?\s*$/.test(lines[end]) && end < lines.length - 1) end++;
  const list = lines.slice(at, end + 1).join(' ').replace(/^export\s*\{/, '').replace(/\};?\s*$/, '');
  const exports = list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.split(/\s+as\s+/)).map(([a, b]) => [a, b ?? a]);
  if (!exports.every((e) => e.every((x) => IDENT.test(x))) || exports.some(([, n]) => n === 'default')) return why('export names');
  if (lines.slice(end + 1).some((l) => l.trim() && !l.startsWith('//# sourceMappingURL='))) return why('code after the export list');
  if (lines.some((l, j) => (j < at || j > end) && /^export\b/.test(l))) return why('more than one export statement');
  for (const [local] of exports) {
    const assigned = new RegExp(`(^|[^\\w$.])${local.replace(/\$/g, '\\$')}\\s*(=(?!=)|\\+=|-=|\\+\\+|--|\\?\\?=|\\|\\|=)`, 'g');
    if ((text.match(assigned) ?? []).length > 1) return why(`exported binding ${local} may be reassigned`);   // (one: the declaration)
  }
  for (let j = at; j <= end; j++) lines[j] = '';
  lines[at] = `return { ${exports.map(([local, name]) => (local === name ? local : `${name}: ${local}`)).join(', ')} };`;
  const bind = deps.map((d, k) => (d.ns ? `const ${d.ns} = __deps[${k}];` : d.names.length ? `const { ${d.names.map(([a, b]) => (a === b ? a : `${a}: ${b}`)).join(', ')} } = __deps[${k}];` : '')).join(' ');
  lines[0] = `(function (__deps, __meta_url, __import) { "use strict"; ${bind} ${lines[0]}`;
  const map = lines.findIndex((l) => l.startsWith('//# sourceMappingURL='));
  // (ASCII only, so the loader reads it as one-byte text: esbuild already escapes strings; this catches comments)
  const script = (lines.map((l, j) => (j === map ? l.replace(/=.*$/, `=${basename(file)}.map`) : l)).join('\n').replace(/import\.meta\.url/g, '__meta_url').replace(dynamic, '__import(') + '\n})')
    .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  new Script(script, { filename: file }); // a syntax error here is a bug in this transform: fail the build
  const info = { deps: deps.map((d) => d.spec), exports: exports.map(([, name]) => name) };
  writeFileSync(`${file}.tmp`, shim(loader, `./${basename(file)}`, info.deps, info.exports));
  writeFileSync(file.replace(/\.js$/, '.script.js'), script);
  renameSync(`${file}.tmp`, file);
  return info;
}

/**
 * Minifies a converted chunk's script (`file`: the chunk, e.g. dist/chunks/chunk-X.js): whitespace
 * and syntax, names kept (stack traces and `.name` read as in the source). A process reads the
 * script, makes a string of it and hashes its cache: ~90 KB fewer of each for the infer chunk (~0.5 ms
 * of a cold start here). The script's own source map (chunk-X.script.js.map, esbuild chaining the
 * chunk's map) replaces the chunk's, which described the lines only the unminified script kept.
 */
export async function minifyScript(file) {
  const script = file.replace(/\.js$/, '.script.js'), input = `${script}.in.js`;
  // (as an assignment: a bare function expression would be dead code to the minifier)
  writeFileSync(input, `x=${readFileSync(script, 'utf8')}`);
  try {
    const out = await build({ entryPoints: [input], outfile: script, write: false, bundle: false, minifyWhitespace: true, minifySyntax: true,
      sourcemap: true, charset: 'ascii', target: 'es2022', logLevel: 'warning' });
    const js = out.outputFiles.find((o) => o.path.endsWith('.js')).text, map = out.outputFiles.find((o) => o.path.endsWith('.map')).text;
    // the assignment back to the bare expression, blanked to keep the columns the map gives
    const head = /^(?:"use strict";)?x=(?=\(function ?\(__deps)/.exec(js);
    if (!head) throw new Error(`minifyScript: ${script} came out as ${js.slice(0, 60)}…`);
    const text = ' '.repeat(head[0].length) + js.slice(head[0].length);
    new Script(text, { filename: script }); // (a syntax error here is a bug in this step: fail the build)
    writeFileSync(`${script}.map`, map);
    writeFileSync(script, text);
    rmSync(`${file}.map`, { force: true });
  } finally { rmSync(input, { force: true }); }
}

/**
 * Rewrites an entry whose only content is a re-export of names from one converted chunk (plus
 * side-effect imports) into that chunk's shim with the entry's names. `chunks`: chunk file name
 * (e.g. "chunk-X.js") → scriptChunk()'s result; the chunks live in `${dirname(file)}/chunks/`.
 */
export function inlineEntry(file, chunks, loader) {
  const text = readFileSync(file, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
  const named = [...text.matchAll(/^import\s*\{([^}]*)\}\s*from\s*"\.\/chunks\/([^"]+)";/gm)];
  const bare = [...text.matchAll(/^import\s*"([^"]+)";/gm)].map((m) => m[1]);
  const exp = /^export\s*\{([^}]*)\};/m.exec(text);
  if (named.length !== 1 || !chunks.has(named[0][2]) || !exp) return why('not a re-export of one script chunk');
  const rest = text.replace(named[0][0], '').replace(exp[0], '').replace(/^import\s*"[^"]+";/gm, '').replace(/\/\/.*$/gm, '');
  if (rest.trim()) return why('the entry has code of its own');
  const pairs = (list) => list.split(',').map((x) => x.trim()).filter(Boolean).map((x) => x.split(/\s+as\s+/)).map(([a, b]) => [a, b ?? a]);
  const local = new Map(pairs(named[0][1]).map(([imported, as]) => [as, imported]));
  const names = pairs(exp[1]).map(([l, name]) => [local.get(l), name]);
  if (names.some(([imported]) => !imported)) return why('the entry exports a name it did not import');
  const info = chunks.get(named[0][2]);
  const rel = (spec) => (spec.startsWith('./') ? `./chunks/${spec.slice(2)}` : spec);
  writeFileSync(file, shim(loader, `./chunks/${named[0][2]}`, info.deps.map(rel), names, bare));
  return { chunk: named[0][2], names };
}

/**
 * The same entry for require() (`file`: e.g. dist/infer.cjs): a CommonJS app then skips Node's ES
 * module loader (~10 ms of its start). Only when the chunk imports nothing but Node built-ins.
 * `entry`: inlineEntry()'s result; the script runs once per process whichever entry loads it.
 */
export function cjsEntry(file, entry, info, loader) {
  if (!info.deps.every((d) => d.startsWith('node:'))) return why('the chunk imports other chunks');
  const chunk = `__dirname + ${JSON.stringify(`/chunks/${entry.chunk}`)}`;
  writeFileSync(file, [
    '// CommonJS face of a chunk compiled as a cached script (scripts/script-chunks.mjs, targets/node/compile_cache.ts).',
    "'use strict';",
    // (paths, not URLs: Node's first pathToFileURL / fileURLToPath cost ~0.5 ms; a POSIX path of
    // plain characters is its file: URL after "file://")
    `const __chunk = ${chunk};`,
    "const __url = /^\\/[\\w./-]*$/.test(__chunk) ? 'file://' + __chunk : require('node:url').pathToFileURL(__chunk).href;",
    `const __m = (${loader})(require).runScript(__chunk.replace(/\\.js$/, '.script.js'), [${info.deps.map((d) => `require(${JSON.stringify(d)})`).join(', ')}], __url, (s) => import(s));`,
    `module.exports = { ${entry.names.map(([from, name]) => `${name}: __m.${from}`).join(', ')} };`,
    '',
  ].join('\n'));
  return true;
}

/**
 * The ES module face of a script chunk: imports, runs the script (once per process), exports.
 * Node built-ins come from process.getBuiltinModule (Node >= 20.16), not from `import`: an ES
 * module import of a built-in builds its ES module facade, which reads every export (node:fs's
 * ReadStream getter loads all of node:stream: ~2 ms of a cold start; the five others ~0.8 ms).
 */
function shim(loader, chunk, deps, exports, extraImports = []) {
  const pairs = exports.map((e) => (Array.isArray(e) ? e : [e, e]));
  const dep = (spec, k) => (spec.startsWith('node:') ? `__builtin(${JSON.stringify(spec)})` : `__d${k}`);
  return [
    '// ESM face of a chunk compiled as a cached script (scripts/script-chunks.mjs, targets/node/compile_cache.ts).',
    ...deps.map((spec, k) => (spec.startsWith('node:') ? '' : `import * as __d${k} from ${JSON.stringify(spec)};`)).filter(Boolean),
    ...extraImports.filter((x) => !deps.includes(x)).map((x) => `import ${JSON.stringify(x)};`),
    'const __builtin = process.getBuiltinModule ?? (() => { throw new Error(`axon needs Node 20.16 or later (process.getBuiltinModule); this is Node ${process.version}`); });',
    `const __m = (${loader})(__builtin).runScript(new URL(${JSON.stringify(chunk.replace(/\.js$/, '.script.js'))}, import.meta.url), [${deps.map(dep).join(', ')}], new URL(${JSON.stringify(chunk)}, import.meta.url).href, (s) => import(s));`,
    `const ${pairs.map(([from], k) => `__e${k} = __m.${from}`).join(', ')};`,
    `export { ${pairs.map(([, name], k) => `__e${k} as ${name}`).join(', ')} };`,
    '',
  ].join('\n');
}
