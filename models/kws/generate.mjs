#!/usr/bin/env node
// The keyword-spotting dataset, synthesized with Debian's espeak-ng (GPL-3; the clips are machine
// speech, no recorded person): 10 commands, "unknown" (other words, and fragments of commands)
// and "silence" (noise only); 1 s, 16 kHz, 16-bit mono WAV in <out>/{train,test}/<label>/*.wav.
// Voices: espeak-ng English accents × voice variants; every clip draws its accent, speed, pitch,
// gain, time shift and background noise (white/pink/brown/hum at 0-30 dB SNR) from a PRNG seeded by
// the clip's name, so a run is deterministic (same espeak-ng → same bytes). The split is BY
// VARIANT: test variants never occur in training, in any accent (unseen speakers).
//   node models/kws/generate.mjs [--out out/kws-data] [--per 5] [--small] [--jobs 2]
// --per: renders per class per voice variant (5: 2,820 train + 720 test clips, ~4 min on 2 busy cores);
// --small: 4 train + 2 test variants, 2 renders (the CI subset, a few seconds).
import { execFile } from 'node:child_process';
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const LABELS = ['silence', 'unknown', 'yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
const UNKNOWN = ['bed', 'bird', 'cat', 'dog', 'happy', 'house', 'marvin', 'sheila', 'tree', 'wow', 'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'learn', 'follow', 'forward', 'backward', 'visual'];
const ACCENTS = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us-nyc'];
// human-sounding variants (robots, whispers and effects left out), sorted; every 5th is a test voice
const VARIANTS = ['Alex', 'Alicia', 'Andrea', 'Andy', 'Annie', 'Denis', 'Diogo', 'Gene', 'Henrique', 'Hugo', 'Jacky', 'Lee', 'Marco', 'Mario', 'Michael', 'Mike', 'Nguyen', 'adam',
  'antonio', 'aunty', 'belinda', 'benjamin', 'boris', 'caleb', 'david', 'ed', 'edward', 'f1', 'f2', 'f3', 'f4', 'f5', 'grandma', 'grandpa', 'gustave', 'iven', 'john', 'klatt',
  'linda', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'max', 'norbert', 'paul', 'pedro', 'quincy', 'rob', 'robert', 'sandro', 'shelby', 'steph', 'travis', 'victor', 'zac'];
export const TEST_VARIANTS = VARIANTS.filter((_, k) => k % 5 === 2);
export const TRAIN_VARIANTS = VARIANTS.filter((_, k) => k % 5 !== 2);
const SR = 16000, L = 16000;

/** mulberry32 seeded by an FNV-1a hash of the clip's name */
function rng(name) {
  let h = 0x811c9dc5;
  for (let k = 0; k < name.length; k++) h = Math.imul(h ^ name.charCodeAt(k), 0x01000193) >>> 0;
  return () => {
    h = (h + 0x6d2b79f5) >>> 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gauss = (r) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

function espeak(voice, speed, pitch, word) {
  return new Promise((ok, fail) => execFile('espeak-ng', ['-v', voice, '-s', String(speed), '-p', String(pitch), '--stdout', word], { encoding: 'buffer', maxBuffer: 1 << 24 }, (e, out) => {
    if (e) return fail(new Error(`espeak-ng -v ${voice} "${word}": ${e.message} (install it: apt-get install espeak-ng)`));
    // espeak-ng writes a 44-byte header (mono 16-bit at 22050 Hz) and streams the data
    const rate = out.readUInt32LE(24), n = (out.length - 44) >> 1, x = new Float32Array(n);
    for (let k = 0; k < n; k++) x[k] = out.readInt16LE(44 + 2 * k) / 32768;
    ok({ rate, x });
  }));
}

/** Windowed-sinc (Hann, 32 taps each side) resampling with the cutoff at the lower Nyquist; tap weights cached per phase. */
const taps = new Map();
function resample(x, from, to) {
  const n = Math.round((x.length * to) / from), y = new Float32Array(n), fc = Math.min(1, to / from), W = 32;
  const g = (a, b) => (b ? g(b, a % b) : a), period = to / g(from, to);   // output samples per phase cycle
  const key = `${from}/${to}`;
  if (!taps.has(key)) {
    const t = new Float64Array(period * 2 * W);
    for (let k = 0; k < period; k++) {
      const f = (k * from) / to - Math.floor((k * from) / to);
      for (let j = 0; j < 2 * W; j++) {
        const d = f + W - 1 - j, sinc = d === 0 ? 1 : Math.sin(Math.PI * fc * d) / (Math.PI * fc * d);
        t[k * 2 * W + j] = fc * sinc * (0.5 + 0.5 * Math.cos((Math.PI * d) / W));
      }
    }
    taps.set(key, t);
  }
  const t = taps.get(key);
  for (let k = 0; k < n; k++) {
    const c = Math.floor((k * from) / to), w = (k % period) * 2 * W;
    let s = 0;
    for (let j = 0; j < 2 * W; j++) { const i = c - W + 1 + j; if (i >= 0 && i < x.length) s += x[i] * t[w + j]; }
    y[k] = s;
  }
  return y;
}

/** The speech part of a rendering (espeak-ng pads words with silence). */
function trim(x) {
  let a = 0, b = x.length;
  while (a < b && Math.abs(x[a]) < 0.01) a++;
  while (b > a && Math.abs(x[b - 1]) < 0.01) b--;
  return x.subarray(a, b);
}

function noise(r, n) {
  const kind = Math.floor(r() * 4), y = new Float32Array(n);
  let p = 0, b0 = 0, b1 = 0, b2 = 0;
  const hz = r() < 0.5 ? 50 : 60, ph = r() * 6.28;
  for (let k = 0; k < n; k++) {
    const w = gauss(r);
    if (kind === 0) y[k] = w;
    else if (kind === 1) { b0 = 0.997 * b0 + 0.029591 * w; b1 = 0.985 * b1 + 0.032534 * w; b2 = 0.95 * b2 + 0.048056 * w; y[k] = (b0 + b1 + b2 + 0.1848 * w) * 3; }   // pink-ish
    else if (kind === 2) { p = 0.995 * p + 0.1 * w; y[k] = p; }                                                                              // brown
    else y[k] = Math.sin((2 * Math.PI * hz * k) / SR + ph) + 0.3 * Math.sin((6 * Math.PI * hz * k) / SR) + 0.2 * w;                        // mains hum
  }
  let e = 0; for (const v of y) e += v * v;
  const rms = Math.sqrt(e / n) || 1;
  for (let k = 0; k < n; k++) y[k] /= rms;
  return y;
}

function wav(x) {
  const b = Buffer.alloc(44 + 2 * x.length);
  b.write('RIFF', 0); b.writeUInt32LE(36 + 2 * x.length, 4); b.write('WAVEfmt ', 8); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(SR, 24); b.writeUInt32LE(2 * SR, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(2 * x.length, 40);
  for (let k = 0; k < x.length; k++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[k] * 32768))), 44 + 2 * k);
  return b;
}

/** One clip: its name fixes everything about it. */
async function clip(name, variant, label) {
  const r = rng(name), out = new Float32Array(L);
  if (label !== 'silence') {
    // unknown: another word, or (30 %) a fragment of a command: its first or last 25-45 %, so that a
    // streaming window holding only part of a command is not taken for it
    const fragment = label === 'unknown' && r() < 0.3;
    const word = fragment ? LABELS[2 + Math.floor(r() * 10)] : label === 'unknown' ? UNKNOWN[Math.floor(r() * UNKNOWN.length)] : label;
    const accent = ACCENTS[Math.floor(r() * ACCENTS.length)], speed = 120 + Math.floor(r() * 90), pitch = 20 + Math.floor(r() * 60);
    const { rate, x } = await espeak(`${accent}+${variant}`, speed, pitch, word);
    let s = trim(resample(x, rate, SR));
    if (fragment) { const n = Math.floor(s.length * (0.25 + 0.2 * r())); s = r() < 0.5 ? s.subarray(0, n) : s.subarray(s.length - n); }
    if (s.length > L) s = s.subarray(0, L);
    let peak = 0; for (const v of s) peak = Math.max(peak, Math.abs(v));
    const gain = (0.2 + 0.7 * r()) / (peak || 1), at = Math.floor(r() * (L - s.length + 1));   // time shift: anywhere in the second
    for (let k = 0; k < s.length; k++) out[at + k] = s[k] * gain;
  }
  let e = 0; for (const v of out) e += v * v;
  const speech = Math.sqrt(e / L);
  // background: SNR 0-30 dB under speech; silence clips get noise at -70 … -20 dBFS (sometimes none)
  const level = label === 'silence' ? (r() < 0.1 ? 0 : 10 ** (-(20 + 50 * r()) / 20)) : speech * 10 ** (-(30 * r()) / 20) * (r() < 0.15 ? 0 : 1);
  const n = noise(r, L);
  for (let k = 0; k < L; k++) out[k] += level * n[k];
  return out;
}

export async function generate({ out = 'out/kws-data', per = 5, small = false, jobs = 2, log = () => {} } = {}) {
  const train = small ? TRAIN_VARIANTS.slice(0, 4) : TRAIN_VARIANTS, test = small ? TEST_VARIANTS.slice(0, 2) : TEST_VARIANTS, renders = small ? 2 : per;
  const tasks = [];
  for (const [part, vs] of [['train', train], ['test', test]]) for (const v of vs) for (const label of LABELS) for (let k = 0; k < renders; k++) tasks.push({ part, v, label, name: `${v}_${label}_${k}` });
  for (const part of ['train', 'test']) for (const label of LABELS) await mkdir(join(out, part, label), { recursive: true });
  let next = 0, done = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const t = tasks[next++], path = join(out, t.part, t.label, `${t.name}.wav`);
      await writeFile(path + '.tmp', wav(await clip(t.name, t.v, t.label)));
      await rename(path + '.tmp', path);
      if (++done % 200 === 0) log(`${done}/${tasks.length} clips`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const manifest = { labels: LABELS, sampleRate: SR, samples: L, train: { variants: train, clips: tasks.filter((t) => t.part === 'train').length }, test: { variants: test, clips: tasks.filter((t) => t.part === 'test').length }, accents: ACCENTS, rendersPerClassPerVariant: renders };
  await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = process.argv.slice(2), flag = (k, d) => { const i = a.indexOf(k); return i < 0 ? d : a[i + 1]; };
  const t0 = Date.now();
  const m = await generate({ out: flag('--out', 'out/kws-data'), per: Number(flag("--per", 5)), small: a.includes('--small'), jobs: Number(flag('--jobs', 2)), log: (s) => process.stderr.write(s + '\n') });
  process.stderr.write(`${m.train.clips} train clips (${m.train.variants.length} voices), ${m.test.clips} test clips (${m.test.variants.length} unseen voices) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
