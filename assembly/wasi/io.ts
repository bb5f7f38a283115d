// WASI preview1 file I/O for the standalone program: preopened-directory lookup, whole-file read
// into the arena, whole-file write (also atomic: a temp file renamed over the target, so a power cut
// leaves the old file or the new one), stderr/stdout text, exit. @assemblyscript/wasi-shim 0.1.0 has
// no file API, so this calls the raw imports. Every failure ends the process via fail().
import {
  path_open, path_rename, fd_read, fd_write, fd_close, fd_filestat_get, fd_prestat_get, fd_prestat_dir_name, proc_exit,
  errno, errnoToString, oflags, rights, lookupflags, prestat, filestat,
} from 'bindings/wasi_snapshot_preview1';
import { arena_alloc } from '../arena';

// Exit codes (sysexits.h)
export const EX_USAGE: i32 = 64;     // bad command line
export const EX_DATAERR: i32 = 65;   // bad bundle, wrong file sizes, bad labels, non-finite data
export const EX_NOINPUT: i32 = 66;   // an input file cannot be opened or read
export const EX_SOFTWARE: i32 = 70;  // non-finite values during training, out of memory
export const EX_CANTCREAT: i32 = 73; // the output file cannot be written

// 64 bytes of scratch for iovecs and out-values, in static data (not the arena, not the heap).
const tmp: usize = memory.data(64, 16);

function writeAll(fd: u32, ptr: usize, len: usize): errno {
  while (len > 0) {
    store<usize>(tmp, ptr);
    store<usize>(tmp, len, sizeof<usize>());
    const err = fd_write(fd, tmp, 1, tmp + 16);
    if (err != errno.SUCCESS) return err;
    const n = load<usize>(tmp + 16);
    if (n == 0) return errno.IO;
    ptr += n; len -= n;
  }
  return errno.SUCCESS;
}

function writeText(fd: u32, s: string): void {
  const buf = String.UTF8.encode(s);
  writeAll(fd, changetype<usize>(buf), <usize>buf.byteLength);
}

export function out(s: string): void { writeText(1, s + '\n'); }

/** Writes "axon.wasi: msg" to stderr and exits with `code`. */
export function fail(code: i32, msg: string): void {
  writeText(2, 'axon.wasi: ' + msg + '\n');
  proc_exit(code);
  unreachable();
}

class Preopen { constructor(public fd: u32, public name: string) {} }
let preopens: Preopen[] | null = null;

function normalize(p: string): string {
  let s = p;
  while (s.startsWith('./')) s = s.substring(2);
  if (s == '.') s = '';
  while (s.length > 1 && s.endsWith('/')) s = s.substring(0, s.length - 1);
  return s;
}

function listPreopens(): Preopen[] {
  const list: Preopen[] = [];
  for (let fd: u32 = 3; fd < 1024; fd++) {
    if (fd_prestat_get(fd, changetype<prestat>(tmp)) != errno.SUCCESS) break;
    if (load<u8>(tmp) != 0) continue;                 // not a directory
    const len = load<usize>(tmp, sizeof<usize>());
    const name = new ArrayBuffer(<i32>len);
    if (fd_prestat_dir_name(fd, changetype<usize>(name), len) != errno.SUCCESS) continue;
    list.push(new Preopen(fd, normalize(String.UTF8.decode(name))));
  }
  return list;
}

/** The preopened directory holding `path` (longest prefix) and the path inside it. */
function resolve(path: string, what: string, code: i32): Preopen {
  if (preopens == null) preopens = listPreopens();
  const list = preopens!;
  const p = normalize(path);
  let best: Preopen | null = null, rel = '', bestLen = -1;
  for (let i = 0; i < list.length; i++) {
    const d = list[i], nm = d.name;
    let r: string | null = null;
    if (nm == '') { if (!p.startsWith('/')) r = p; }
    else if (nm == '/') { if (p.startsWith('/')) r = p.substring(1); }
    else if (p.startsWith(nm + '/')) r = p.substring(nm.length + 1);
    if (r != null && nm.length > bestLen) { best = d; rel = r; bestLen = nm.length; }
  }
  if (best == null) fail(code, `${what} ${path}: no preopened directory contains it (give the runtime a --dir / preopen for it)`);
  resolvedRel = rel;
  return best!;
}
let resolvedRel = '';

function open(path: string, what: string, write: bool, code: i32): u32 {
  const fd = tryOpen(path, what, write, code);
  if (fd < 0) fail(code, `${what} ${path}: cannot ${write ? 'create' : 'open'} it (${errnoToString(<errno>(-fd))})`);
  return <u32>fd;
}

/** The opened fd, or -errno. */
function tryOpen(path: string, what: string, write: bool, code: i32): i64 {
  const dir = resolve(path, what, code);
  const rel = String.UTF8.encode(resolvedRel);
  const base: u64 = write ? rights.FD_WRITE | rights.FD_FILESTAT_SET_SIZE : rights.FD_READ | rights.FD_SEEK | rights.FD_FILESTAT_GET | rights.FD_TELL;
  const err = path_open(dir.fd, lookupflags.SYMLINK_FOLLOW, changetype<usize>(rel), <usize>rel.byteLength,
    write ? oflags.CREAT | oflags.TRUNC : 0, base, 0, 0, tmp);
  if (err != errno.SUCCESS) return -<i64>err;
  return <i64>load<u32>(tmp);
}

/** A file read whole into a 16-aligned arena block. */
export class Blob { constructor(public ptr: usize, public len: usize) {} }

export function readFile(path: string, what: string): Blob {
  return readOpened(open(path, what, false, EX_NOINPUT), path, what);
}

/** The file, or null when it does not exist (other failures end the process). */
export function readFileIfExists(path: string, what: string): Blob | null {
  const fd = tryOpen(path, what, false, EX_NOINPUT);
  if (fd == -<i64>errno.NOENT) return null;
  if (fd < 0) fail(EX_NOINPUT, `${what} ${path}: cannot open it (${errnoToString(<errno>(-fd))})`);
  return readOpened(<u32>fd, path, what);
}

function readOpened(fd: u32, path: string, what: string): Blob {
  let err = fd_filestat_get(fd, changetype<filestat>(tmp));
  if (err != errno.SUCCESS) fail(EX_NOINPUT, `${what} ${path}: cannot stat it (${errnoToString(err)})`);
  if (load<u8>(tmp, 16) != 4) fail(EX_NOINPUT, `${what} ${path}: not a regular file`);
  const size = load<u64>(tmp, 32);
  if (size > 0xf0000000) fail(EX_DATAERR, `${what} ${path}: ${size} bytes is too large for wasm32`);
  const len = <usize>size;
  const ptr = arena_alloc(len);
  if (ptr == 0) fail(EX_SOFTWARE, `${what} ${path}: out of memory reading ${len} bytes`);
  let got: usize = 0;
  while (got < len) {
    store<usize>(tmp, ptr + got);
    store<usize>(tmp, len - got, sizeof<usize>());
    err = fd_read(fd, tmp, 1, tmp + 16);
    if (err != errno.SUCCESS) fail(EX_NOINPUT, `${what} ${path}: read error (${errnoToString(err)})`);
    const n = load<usize>(tmp + 16);
    if (n == 0) fail(EX_NOINPUT, `${what} ${path}: file ended after ${got} of ${len} bytes`);
    got += n;
  }
  fd_close(fd);
  return new Blob(ptr, len);
}

export function writeFile(path: string, what: string, ptr: usize, len: usize): void {
  const fd = open(path, what, true, EX_CANTCREAT);
  const err = writeAll(fd, ptr, len);
  if (err != errno.SUCCESS) fail(EX_CANTCREAT, `${what} ${path}: write error (${errnoToString(err)})`);
  fd_close(fd);
}

/** Writes `path` + ".tmp", then renames it over `path` (a reader, or a power cut, sees the old file or the new one). */
export function writeFileAtomic(path: string, what: string, ptr: usize, len: usize): void {
  const tmpPath = path + '.tmp';
  writeFile(tmpPath, what, ptr, len);
  const from = resolve(tmpPath, what, EX_CANTCREAT), fromRel = String.UTF8.encode(resolvedRel);
  const to = resolve(path, what, EX_CANTCREAT), toRel = String.UTF8.encode(resolvedRel);
  const err = path_rename(from.fd, changetype<usize>(fromRel), <usize>fromRel.byteLength, to.fd, changetype<usize>(toRel), <usize>toRel.byteLength);
  if (err != errno.SUCCESS) fail(EX_CANTCREAT, `${what} ${path}: cannot rename ${tmpPath} over it (${errnoToString(err)})`);
}
