// WAV input files for the WASI program: an f32 input given as a RIFF/WAVE file (PCM 16-bit or
// 32-bit float, any channel count: averaged) is read as mono f32 samples in [-1, 1), so a keyword
// model (a melSpectrogram front end on 1 s of 16 kHz PCM) classifies a recording directly:
//   axon.wasi.wasm infer kws.axb clip.wav scores.bin
// A clip shorter than one row is zero-padded around its middle; otherwise its samples must fill
// whole rows (each row one clip). The file must be at the model's sample rate (no resampling here).
import { Blob, fail, EX_DATAERR } from './io';
import { arena_alloc } from '../arena';

/** True when the bytes start a RIFF/WAVE file. */
export function isWav(x: Blob): bool {
  return x.len >= 12 && load<u32>(x.ptr) == 0x46464952 && load<u32>(x.ptr + 8) == 0x45564157;   // "RIFF", "WAVE"
}

/** The WAV's samples as f32 rows of `row` samples (row 0: no padding). */
export function wavSamples(x: Blob, row: usize, what: string): Blob {
  let fmtAt: usize = 0, dataAt: usize = 0, dataLen: usize = 0;
  for (let o: usize = 12; o + 8 <= x.len;) {
    const id = load<u32>(x.ptr + o), len = <usize>load<u32>(x.ptr + o + 4), body = o + 8;
    if (id == 0x20746d66 && len >= 16) fmtAt = body;                                          // "fmt "
    else if (id == 0x61746164) { dataAt = body; dataLen = min<usize>(len, x.len - body); break; } // "data" (may be streamed: cut at the file's end)
    o = body + len + (len & 1);
  }
  if (fmtAt == 0 || dataAt == 0) fail(EX_DATAERR, `${what}: a WAV file needs a fmt and a data chunk`);
  let format = <u32>load<u16>(x.ptr + fmtAt);
  if (format == 0xfffe) format = <u32>load<u16>(x.ptr + fmtAt + 24);
  const channels = <usize>load<u16>(x.ptr + fmtAt + 2), bits = <u32>load<u16>(x.ptr + fmtAt + 14);
  if (!((format == 1 && bits == 16) || (format == 3 && bits == 32)) || channels == 0) fail(EX_DATAERR, `${what}: WAV format ${format} with ${bits}-bit samples and ${channels} channels; use 16-bit PCM or 32-bit float`);
  const step = channels * (bits >> 3), n = dataLen / step;
  if (n == 0) fail(EX_DATAERR, `${what}: the WAV file has no samples`);
  const rows = row == 0 ? n : (n <= row ? row : n);
  if (row > 0 && n > row && n % row != 0) fail(EX_DATAERR, `${what}: ${n} samples is not a whole number of rows of ${row} samples (one clip per row); trim the recording to ${row} samples`);
  const y = arena_alloc(rows << 2);
  if (y == 0) fail(EX_DATAERR, `${what}: out of memory for ${rows} samples`);
  memory.fill(y, 0, rows << 2);
  const at = y + (((rows - n) >> 1) << 2);
  for (let k: usize = 0; k < n; k++) {
    let s: f32 = 0;
    for (let c: usize = 0; c < channels; c++) {
      const p = x.ptr + dataAt + k * step + c * (bits >> 3);
      s += bits == 16 ? <f32>load<i16>(p) / 32768 : load<f32>(p);
    }
    store<f32>(at + (k << 2), s / <f32>channels);
  }
  return new Blob(y, rows << 2);
}
