// The keyword-spotting demo: load the int8 model (models/kws/kws.int8.axon: its melSpectrogram front
// end takes 1 s of 16 kHz PCM), capture the microphone in an AudioContext running at 16 kHz, feed
// the AudioWorklet's 128-sample frames to an AudioStream (ring buffer; each 20 ms frame's features
// computed once; a prediction every 120 ms, a multiple of the frame step, averaged over the last 3)
// and show the scores and each detected command.
import { loadEngine, modelFromBytes, AudioStream, Tensor, type Detection } from '../index.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const HOP = 1920, SMOOTH = 3, THRESHOLD = 0.6;
const state = { status: 'loading', build: '', error: '', labels: [] as string[], samples: 0, windows: 0, mode: '', last: null as null | { label: string; score: number }, detections: [] as Array<{ label: string; score: number; at: number }>, sampleRate: 0 };
const setStatus = (s: string, text: string) => { state.status = s; $('status').textContent = text; };
const fail = (e: unknown) => { state.error = String(e); setStatus('error', `error: ${e}`); };
addEventListener('error', (e) => fail(e.error ?? e.message));
addEventListener('unhandledrejection', (e) => fail(e.reason));

// posts each 128-sample render quantum of the first input channel to the page
const WORKLET = `registerProcessor('pcm-tap', class extends AudioWorkletProcessor {
  process(inputs) { const ch = inputs[0] && inputs[0][0]; if (ch) this.port.postMessage(ch.slice(0)); return true; }
});`;

let stream: AudioStream | undefined, ctx: AudioContext | undefined, media: MediaStream | undefined;
let busy: Promise<unknown> = Promise.resolve();

async function init() {
  const engine = await loadEngine();
  state.build = engine.build;
  $('build').textContent = `${engine.build === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'} build`;
  const res = await fetch('kws.int8.axon');
  if (!res.ok) throw new Error(`kws.int8.axon: HTTP ${res.status}`);
  const { model, graph } = modelFromBytes(new Uint8Array(await res.arrayBuffer()), 'kws.int8.axon', engine);
  state.labels = (graph.extra?.labels as string[]) ?? [];
  stream = new AudioStream(model, { hop: HOP, smooth: SMOOTH, labels: state.labels });
  state.mode = stream.mode;
  setStatus('ready', `model loaded: ${model.layers.length} layers, ${state.labels.length} classes; press Listen`);
  $<HTMLButtonElement>('listen').disabled = false;
}

function show(d: Detection) {
  state.windows++;
  state.last = { label: d.label, score: d.score };
  $('probs').innerHTML = Array.from(d.scores, (v, k) => `<span${k === d.index ? ' class="best"' : ''}>${state.labels[k]}</span><div class="track"><div class="bar" style="width:${(v * 100).toFixed(1)}%"></div></div><span>${(v * 100).toFixed(1)}%</span>`).join('');
  const command = d.label !== 'silence' && d.label !== 'unknown' && d.score >= THRESHOLD;
  $('word').textContent = command ? d.label : '–';
  const prev = state.detections[state.detections.length - 1];
  if (command && !(prev && prev.label === d.label && d.end - prev.at <= HOP * 2)) {
    state.detections.push({ label: d.label, score: d.score, at: d.end });
    $('log').textContent += `${(d.end / 16000).toFixed(2)} s  ${d.label}  ${(d.score * 100).toFixed(0)}%\n`;
  } else if (command) prev.at = d.end;
}

async function listen() {
  $<HTMLButtonElement>('listen').disabled = true;
  media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  ctx = new AudioContext({ sampleRate: 16000 });
  state.sampleRate = ctx.sampleRate;
  await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([WORKLET], { type: 'text/javascript' })));
  const tap = new AudioWorkletNode(ctx, 'pcm-tap');
  tap.port.onmessage = (e: MessageEvent<Float32Array>) => {
    state.samples += e.data.length;
    busy = busy.then(() => stream!.push(e.data)).then((ds) => (ds as Detection[]).forEach(show)).catch(fail);
  };
  ctx.createMediaStreamSource(media).connect(tap);
  setStatus('listening', `listening at ${ctx.sampleRate} Hz; a prediction every ${HOP / 16000 * 1000} ms`);
  $<HTMLButtonElement>('stop').disabled = false;
}

async function stop() {
  media?.getTracks().forEach((t) => t.stop());
  await ctx?.close();
  setStatus('stopped', 'stopped');
  $<HTMLButtonElement>('listen').disabled = false;
  $<HTMLButtonElement>('stop').disabled = true;
}

$('listen').addEventListener('click', () => { listen().catch(fail); });
$('stop').addEventListener('click', () => { stop().catch(fail); });
init().catch(fail);

/** Median ms of `n` classifications of one 1 s clip (front end + model) after a warm-up (bench/kws_targets.mjs). */
async function latency(n = 50): Promise<number> {
  const x = new Tensor(Float32Array.from({ length: 16000 }, (_, k) => 0.3 * Math.sin(k * 0.07) * (k > 4000 && k < 11000 ? 1 : 0.01)), [1, 16000]), t: number[] = [];
  for (let i = 0; i < 5; i++) await stream!.model.predict(x);
  for (let i = 0; i < n; i++) { const t0 = performance.now(); await stream!.model.predict(x); t.push(performance.now() - t0); }
  return t.sort((a, b) => a - b)[n >> 1];
}

// For tests, benchmarks and the console.
Object.assign(globalThis, { axonKws: { state, listen, stop, latency } });
