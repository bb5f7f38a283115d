// npm run fuzz: seeded mutants of every input format (scripts/fuzz/formats.ts), each format's
// mutants run in child processes (scripts/fuzz/worker.ts, bundled here with esbuild) under a time
// limit per mutant and a memory limit per process (resident set polled from /proc), then a summary
// table. The property: every mutant gives success or an AxonError with a code; nothing else
// escapes, no trap, hang, crash or runaway memory, and the engine computes the same numbers afterwards.
//   node scripts/fuzz.mjs [--n 10000] [--seed 1] [--formats axon,onnx,...] [--chunk 2000]
//                         [--timeout-ms 15000] [--max-rss-mb 1024] [--json out.json] [--only i]
// --only i reruns mutant i of the given formats and prints its full outcome (to reproduce a finding).
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 ? argv[i + 1] : d; };
const N = Number(opt('n', 10000)), SEED = Number(opt('seed', 1)), CHUNK = Number(opt('chunk', 2000));
const TIMEOUT = Number(opt('timeout-ms', 15000)), MAX_RSS = Number(opt('max-rss-mb', 1024)) * 2 ** 20;
const ALL = ['axon', 'onnx', 'tfjs-layers', 'tfjs-graph', 'wasi', 'wasi-sealed', 'tokenizer'];
const FORMATS = (opt('formats', ALL.join(','))).split(',');
const ONLY = opt('only');
for (const f of FORMATS) if (!ALL.includes(f)) { console.error(`fuzz: unknown format ${f} (have: ${ALL.join(', ')})`); process.exit(64); }

mkdirSync('build/fuzz', { recursive: true });
await build({ entryPoints: ['scripts/fuzz/worker.ts'], outfile: 'build/fuzz/worker.mjs', bundle: true, format: 'esm', platform: 'node', target: 'es2022', packages: 'external', logLevel: 'warning' });

const rssOf = (pid) => { try { const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')); return m ? Number(m[1]) * 1024 : 0; } catch { return 0; } };

/** Runs mutants [from, from+count) in one child; resolves with the results and how the child ended. */
function child(format, from, count, onResult) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--no-warnings', 'build/fuzz/worker.mjs', format, String(SEED), String(from), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let current = from, last = Date.now(), killed, buf = '', err = '', peak = 0, started = false;
    const timer = setInterval(() => {
      const rss = rssOf(p.pid); peak = Math.max(peak, rss);
      if (rss > MAX_RSS) { killed = { outcome: 'oom', message: `resident set ${(rss / 2 ** 20).toFixed(0)} MB over the ${MAX_RSS / 2 ** 20} MB limit` }; p.kill('SIGKILL'); }
      else if (Date.now() - last > TIMEOUT) { killed = { outcome: 'hang', message: `no answer within ${TIMEOUT} ms` }; p.kill('SIGKILL'); }
    }, 50);
    p.stdout.on('data', (d) => {
      buf += d; let k;
      while ((k = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, k); buf = buf.slice(k + 1);
        let o; try { o = JSON.parse(line); } catch { continue; }
        if ('start' in o) { current = o.start; last = Date.now(); started = true; } else { current = o.i + 1; onResult(o); }
      }
    });
    p.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
    p.on('exit', (code, signal) => {
      clearInterval(timer);
      const done = current >= from + count;
      if (!started && !killed) { console.error(`fuzz: the ${format} worker failed before its first mutant:\n${err}`); process.exit(70); }
      if (!done) onResult({ i: current, rss: peak, ...(killed ?? { outcome: 'crash', message: `worker died (${signal ?? `exit ${code}`}): ${err.slice(-600)}` }) });
      resolve({ next: done ? from + count : current + 1, peak });
    });
  });
}

const KINDS = ['ok', 'axon', 'finding', 'other', 'trap', 'hang', 'crash', 'oom', 'drift'];
const rows = [], bad = [];
for (const format of FORMATS) {
  const t0 = Date.now(), counts = Object.fromEntries(KINDS.map((k) => [k, 0])), codes = {};
  let peak = 0, from = ONLY !== undefined ? Number(ONLY) : 0;
  const end = ONLY !== undefined ? from + 1 : N;
  while (from < end) {
    const r = await child(format, from, Math.min(CHUNK, end - from), (o) => {
      counts[o.outcome] = (counts[o.outcome] ?? 0) + 1; peak = Math.max(peak, o.rss ?? 0);
      if (o.code) codes[o.code] = (codes[o.code] ?? 0) + 1;
      if (o.outcome !== 'ok' && o.outcome !== 'axon') bad.push({ format, ...o });
      if (ONLY !== undefined) console.log(JSON.stringify(o, null, 1));
    });
    peak = Math.max(peak, r.peak); from = r.next;
  }
  const row = { format, mutants: end - (ONLY !== undefined ? Number(ONLY) : 0), ...counts, peakRssMB: +(peak / 2 ** 20).toFixed(0), seconds: +((Date.now() - t0) / 1000).toFixed(1), codes };
  rows.push(row);
  console.error(`fuzz: ${format}: ${JSON.stringify(row)}`);
}

const head = ['format', 'mutants', 'success', 'AxonError', 'other outcomes', 'hangs', 'crashes/traps', 'peak RSS', 'time'];
console.log(`\nfuzz: seed ${SEED}, ${N} mutants per format, limits ${TIMEOUT} ms per mutant and ${MAX_RSS / 2 ** 20} MB per process; ${cpus()[0]?.model ?? ''}\n`);
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const r of rows) {
  console.log(`| ${r.format} | ${r.mutants} | ${r.ok} | ${r.axon} | ${r.finding + r.other + r.oom + r.drift} | ${r.hang} | ${r.crash + r.trap} | ${r.peakRssMB} MB | ${r.seconds} s |`);
}
for (const b of bad.slice(0, 40)) console.log(`\n${b.format} #${b.i} ${b.outcome}: ${String(b.message).split('\n').slice(0, 4).join(' / ')}`);
if (bad.length > 40) console.log(`\n… and ${bad.length - 40} more`);
if (opt('json')) writeFileSync(opt('json'), JSON.stringify({ seed: SEED, n: N, rows, bad }, null, 1));
process.exit(bad.length ? 1 : 0);
