// Node file helpers for model files: atomic write (readers see the old file or the new one,
// never a torn one; a crash leaves at most a stray temp file, never a half-written model).
import { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AxonError } from '../../src/errors.js';

/**
 * Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename over
 * `path`, then fsync of the directory (best effort). The temp file is removed on error.
 * Throws AxonError('IO') saying which step failed.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd = -1, step = 'create a temp file beside it';
  try {
    fd = openSync(tmp, 'wx', 0o644);
    step = 'write';
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    step = 'fsync';
    fsyncSync(fd);
    closeSync(fd); fd = -1;
    step = 'rename the temp file over it';
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    const err = e as NodeJS.ErrnoException;
    throw new AxonError('IO', `${path}: could not ${step} (${err.code ?? err.message}); check that the directory exists, is writable and has free space`, { cause: err.code });
  }
  try { const d = openSync(dirname(path), 'r'); try { fsyncSync(d); } finally { closeSync(d); } } catch { /* directories cannot be fsynced everywhere */ }
}
