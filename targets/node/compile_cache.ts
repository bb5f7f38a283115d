// The Node target's compile cache: V8's code cache for the runtime's main chunk, which the build
// turns into a classic script (scripts/script-chunks.mjs), because Node 20 cannot cache ES modules'
// compiled code (Node 22's module.enableCompileCache does the same thing for modules).
// The first process compiles the script as usual and, when it exits, saves V8's cache of
// everything it compiled (parsing and the functions it ran); later processes deserialize that
// instead of parsing and compiling again. V8 rejects a cache made from other source, another V8
// version or other flags, but does not checksum the code it deserializes (a damaged cache crashes
// the process), so each file carries its own: a header with the length and a 64-bit FNV-1a of the
// payload. The next few processes add what they compiled on top (see REFRESHES). A rejected,
// damaged or unreadable cache only means compiling as usual (and saving a fresh one).
// AXON_COMPILE_CACHE: unset = a per-user directory under os.tmpdir(), "0" = off, else the
// directory to use.
// NOTE: compileCache is self-contained (it uses only its arguments and globals): the build inlines
// its source into every module that runs a script (each ES module file costs ~1 ms to load), and
// the copies share their state through a global symbol, so a script runs once per process.
type Fs = typeof import('node:fs');
type Os = typeof import('node:os');
type Path = typeof import('node:path');
type Url = typeof import('node:url');
type Vm = typeof import('node:vm');

export type CacheState = 'off' | 'none' | 'used' | 'rejected';
export interface CompileCache {
  /** Runs a chunk's script (a file: URL or a path) once per process: `(deps, metaUrl, dynamicImport) => exports`, through the code cache. */
  runScript(url: URL | string, deps: unknown[], metaUrl: string, dynamicImport?: (specifier: string) => Promise<unknown>): Record<string, unknown>;
  /** What happened to each script this process ran, by file (tests and the cold-start benchmark read it). */
  states: Map<string, CacheState>;
  /** 64-bit FNV-1a of `data` zero-padded to 8-byte words (the cache files' checksum). */
  digest(data: Uint8Array): bigint;
}

/**
 * `builtin`: Node's built-in modules by name (process.getBuiltinModule, or require). node:os is
 * only asked for on Windows (loading it costs ~0.2 ms of a cold start).
 */
export function compileCache(builtin: (id: string) => unknown): CompileCache {
  const fs = builtin('node:fs') as Fs, path = builtin('node:path') as Path, url = builtin('node:url') as Url, vm = builtin('node:vm') as Vm;
  // os.tmpdir()'s rule on POSIX
  const tmpdir = (): string => {
    if (process.platform === 'win32') return (builtin('node:os') as Os).tmpdir();
    const t = process.env.TMPDIR || process.env.TMP || process.env.TEMP || '/tmp';
    return t.length > 1 && t.endsWith('/') ? t.slice(0, -1) : t;
  };
  const g = globalThis as unknown as Record<symbol, { states: Map<string, CacheState>; ran: Map<string, Record<string, unknown>> } | undefined>;
  const shared = (g[Symbol.for('axon.compileCache')] ??= { states: new Map(), ran: new Map() });

  function runScript(where: URL | string, deps: unknown[], metaUrl: string, dynamicImport?: (specifier: string) => Promise<unknown>): Record<string, unknown> {
    // (a plain POSIX file: URL's pathname is its path: fileURLToPath's first call costs ~0.2 ms)
    const file = typeof where === 'string' ? where : process.platform !== 'win32' && !where.pathname.includes('%') ? where.pathname : url.fileURLToPath(where);
    const done = shared.ran.get(file);
    if (done) return done;
    // (the build escapes everything else: one-byte text, no UTF-8 decoding; read into the memory
    // the cache is read into next: see readCache)
    const cacheFile = cachePath(file);
    const source = cacheFile ? readSource(file) : fs.readFileSync(file).toString('latin1');
    const stored = cacheFile ? readCache(cacheFile) : undefined;
    const cached = stored ? { length: stored.data.length, generation: stored.generation } : undefined;
    const script = new vm.Script(source, { filename: file, cachedData: stored ? stored.data : undefined });
    const state: CacheState = !cacheFile ? 'off' : stored === undefined ? 'none' : !cached || script.cachedDataRejected ? 'rejected' : 'used';
    shared.states.set(file, state);
    const exports = (script.runInThisContext() as (d: unknown[], u: string, i?: typeof dynamicImport) => Record<string, unknown>)(deps, metaUrl, dynamicImport);
    shared.ran.set(file, exports);
    // At exit, so the cache holds every function this process compiled, not only the top level.
    // A cache only has what its writer ran (a process that only imported the runtime leaves the
    // model code out: the next ones would compile it, ~2 ms). So the next REFRESHES processes that
    // use it save again what they hold (the functions from the cache and those they compiled),
    // when that is more; then it stays as it is (making the data costs ~2 ms at exit).
    // Nothing more: only the header's count goes up, in place (rewriting the whole file could put
    // back an older cache over one another process just saved with more).
    if (cacheFile && (state !== 'used' || cached!.generation < REFRESHES)) {
      process.once('exit', () => {
        const data = script.createCachedData();
        if (state !== 'used' || data.length > cached!.length) save(cacheFile, pack(data, state === 'used' ? cached!.generation + 1 : 0));
        else bump(cacheFile, cached!.generation + 1);
      });
    } else if (state === 'used') touch(cacheFile!);
    return exports;
  }

  function cachePath(file: string): string | undefined {
    const setting = process.env.AXON_COMPILE_CACHE;
    if (setting === '0') return undefined;
    const uid = process.getuid?.() ?? -1;
    const dir = setting || path.join(tmpdir(), `axon-compile-cache-${uid}`);
    try {
      // a cache holds code this process will run: only from a directory nobody else can write to
      const st = fs.statSync(dir, { throwIfNoEntry: false }) ?? (fs.mkdirSync(dir, { recursive: true, mode: 0o700 }), fs.statSync(dir));
      if (uid >= 0 && (st.uid !== uid || (st.mode & 0o022) !== 0)) return undefined;
    } catch { return undefined; }
    // V8 checks source, version and flags itself; naming the flags keeps differently started
    // processes from taking turns, and naming the file keeps two installs apart (the cached code
    // carries its file name: another install's cache would put that install's paths in stack traces)
    const flags = `${process.execArgv.filter((a) => a.startsWith('--') && !/^--(eval|print)\b/.test(a)).join(' ')}|${process.env.NODE_OPTIONS ?? ''}|${file}`;
    const tag = digest(new TextEncoder().encode(flags)).toString(16).slice(0, 8);
    return path.join(dir, `${path.basename(file, '.js')}-${process.version}-${process.arch}-${tag}.v8cache`);
  }

  /** Written whole under a temporary name, then renamed: readers see the old cache or the new one. */
  function save(to: string, data: Buffer): void {
    const tmp = `${to}.${process.pid}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w', 0o600);
      try { for (let off = 0; off < data.length;) off += fs.writeSync(fd, data, off, data.length - off); } finally { fs.closeSync(fd); }
      fs.renameSync(tmp, to);
    } catch { try { fs.unlinkSync(tmp); } catch { /* not created */ } }
    prune(path.dirname(to), to);
  }

  /** Raises the refresh count of the cache at `file` to `generation` (if it is still lower). */
  function bump(file: string, generation: number): void {
    try {
      const fd = fs.openSync(file, 'r+');
      try {
        const h = Buffer.alloc(20);
        if (fs.readSync(fd, h, 0, 20, 0) === 20 && h.readUInt32LE(0) === MAGIC && h.readUInt32LE(16) < generation) {
          h.writeUInt32LE(generation, 16);
          fs.writeSync(fd, h, 16, 4, 16);
        }
      } finally { fs.closeSync(fd); }
    } catch { /* gone or replaced meanwhile: fine */ }
  }

  /** Marks a cache in use (its time is what prune() goes by; a cache in steady use is never rewritten). */
  function touch(file: string): void {
    try { const now = new Date(); fs.utimesSync(file, now, now); } catch { /* read-only or gone: fine */ }
  }

  /** Caches kept per directory: older builds' caches are never read again; the least recently used go. */
  const KEEP = 24;
  function prune(dir: string, keep: string): void {
    try {
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.v8cache')).map((f) => path.join(dir, f));
      if (files.length <= KEEP) return;
      const byAge = files.filter((f) => f !== keep).map((f) => ({ f, t: fs.statSync(f).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { f } of byAge.slice(0, files.length - KEEP)) fs.unlinkSync(f);
    } catch { /* another process pruned first: fine */ }
  }

  const MAGIC = 0x32435841; // "AXC2"
  /** Processes that may still add to a cache after the one that wrote it first. */
  const REFRESHES = 3;
  /** header: magic, payload length (u32), digest (u64), generation (u32: times refreshed), then V8's cache data */
  function pack(data: Buffer, generation: number): Buffer {
    const out = Buffer.alloc(20 + data.length);
    out.writeUInt32LE(MAGIC, 0); out.writeUInt32LE(data.length, 4); out.writeBigUInt64LE(digest(data), 8); out.writeUInt32LE(generation, 16);
    data.copy(out, 20);
    return out;
  }
  /**
   * `len` bytes of `fd` from byte `at` into `mem`; false when the file ends first. In 32 KiB pieces
   * through one small buffer: on some VMs memory that read(2) filled faults again when first
   * touched (~7 µs a 4 KiB page), memory a copy filled does not (~0.3 ms a file here).
   */
  let piece: Uint8Array | undefined;
  function readAll(fd: number, mem: Uint8Array, len: number, at: number): boolean {
    const buf = (piece ??= new Uint8Array(32768));
    for (let off = 0; off < len;) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, len - off), at + off);
      if (n <= 0) return false;
      mem.set(n === buf.length ? buf : buf.subarray(0, n), off);
      off += n;
    }
    return true;
  }
  /** The script's text, read into the checksum module's memory (see readCache: one big fresh buffer fewer). */
  function readSource(file: string): string {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size, mem = wordMemory(size);
      if (!readAll(fd, mem, size, 0)) throw new Error(`${file}: short read`);
      return Buffer.from(mem.buffer, 0, size).toString('latin1');
    } finally { fs.closeSync(fd); }
  }
  /**
   * The cache at `file`: its payload (a view of the checksum module's memory, valid until the next
   * digest: V8 only reads it while compiling), false when damaged, undefined when there is none.
   * The payload is read into the memory the checksum runs over: every fresh page a cold process
   * touches costs (~3 ms a MiB on some VMs), and a file read into a Buffer first is one more.
   */
  function readCache(file: string): { data: Buffer; generation: number } | false | undefined {
    let fd: number;
    try { fd = fs.openSync(file, 'r'); } catch { return undefined; }
    try {
      const size = fs.fstatSync(fd).size, head = Buffer.alloc(20);
      if (size < 20 || fs.readSync(fd, head, 0, 20, 0) !== 20 || head.readUInt32LE(0) !== MAGIC || head.readUInt32LE(4) !== size - 20) return false;
      const mem = wordMemory(size - 20);
      if (!readAll(fd, mem, size - 20, 20) || hashWords(size - 20) !== head.readBigUInt64LE(8)) return false;
      return { data: Buffer.from(mem.buffer, mem.byteOffset, size - 20), generation: head.readUInt32LE(16) };
    } catch { return false; } finally { fs.closeSync(fd); }
  }

  // In wasm (a cold JS loop over 200 KB costs ~6 ms; this ~0.3 ms). Unrolled eight words a loop
  // turn, so that hashing a cache stays under V8's tier-up budget (which counts the wasm bytes a
  // function runs): the one-word loop got itself recompiled by TurboFan in every process, a
  // background job that touches ~2 MB of fresh memory and that the process waits for at exit.
  // The module is this AssemblyScript (asc -O3 --runtime stub --initialMemory 1):
  //   export function h(n: i32): u64 {
  //     let x: u64 = 0xcbf29ce484222325;
  //     let i = 0;
  //     for (; i + 8 <= n; i += 8) {
  //       const a = <usize>i << 3;
  //       x = (x ^ load<u64>(a)) * 0x100000001b3;       // … and so on, offsets 8 to 56
  //     }
  //     for (; i < n; i++) x = (x ^ load<u64>(<usize>i << 3)) * 0x100000001b3;
  //     return x;
  //   }
  const FNV64_WASM = 'AGFzbQEAAAABBgFgAX8BfgMCAQAFAwEAAQcOAgFoAAAGbWVtb3J5AgAKzwEBzAECAn8BfkKlxoihyJyn+UshAwNAIAFBCGoiAiAATARAIAFBA3QiASkDOCABKQMwIAEpAyggASkDICABKQMYIAEpAxAgASkDCCADIAEpAwCFQrODgICAIH6FQrODgICAIH6FQrODgICAIH6FQrODgICAIH6FQrODgICAIH6FQrODgICAIH6FQrODgICAIH6FQrODgICAIH4hAyACIQEMAQsLA0AgACABSgRAIAMgAUEDdCkDAIVCs4OAgIAgfiEDIAFBAWohAQwBCwsgAws=';
  type Fnv64 = { h: (n: number) => bigint; memory: WebAssembly.Memory };
  let fnv64: Fnv64 | undefined;
  /** The checksum module's memory from 0, grown to hold `bytes` rounded up to whole words. */
  function wordMemory(bytes: number): Uint8Array {
    const { memory } = (fnv64 ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(FNV64_WASM, 'base64')), {}).exports as unknown as Fnv64);
    const need = Math.ceil(bytes / 8) * 8, have = memory.buffer.byteLength;
    if (need > have) memory.grow(Math.ceil((need - have) / 65536));
    return new Uint8Array(memory.buffer, 0, need);
  }
  /** The digest of the first `bytes` of wordMemory()'s memory (zero-padding the last word: memory is reused). */
  function hashWords(bytes: number): bigint {
    const mem = wordMemory(bytes);
    mem.fill(0, bytes);
    return BigInt.asUintN(64, fnv64!.h(mem.length / 8));
  }
  function digest(data: Uint8Array): bigint {
    wordMemory(data.length).set(data);
    return hashWords(data.length);
  }

  return { runScript, states: shared.states, digest };
}
