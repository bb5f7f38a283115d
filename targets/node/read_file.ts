// Whole files for the Node target's start-up path (model files, the wasm builds). NOTE: on some VMs
// (the AMD EPYC class of BENCHMARKS.md W7) memory the kernel filled by read(2) faults again when
// user code first touches it (~7 µs a 4 KiB page), memory filled by a copy does not: a big file
// read in pieces through one small buffer and copied into its array is ~1.3 ms a MB cheaper to
// read and then use than readFileSync's.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';

const PIECE = 32768;

/** A file's bytes (as readFileSync; regular files bigger than 32 KiB read in pieces). */
export function readWhole(path: string): Uint8Array<ArrayBuffer> {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size <= PIECE) return readFileSync(fd);
    const out = new Uint8Array(st.size), piece = new Uint8Array(PIECE);
    let at = 0;
    for (let n; at < out.length && (n = readSync(fd, piece, 0, Math.min(PIECE, out.length - at), at)) > 0; at += n) out.set(n === PIECE ? piece : piece.subarray(0, n), at);
    return at < out.length ? out.subarray(0, at) : out;   // (a file that shrank meanwhile: what it had, as readFileSync gives)
  } finally { closeSync(fd); }
}
