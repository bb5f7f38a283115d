// The Durable Object of one federated fine-tuning job: the global weights, the open round (its
// accepted deltas, who sent them and for how many samples) and the server optimizer state, all in
// the object's transactional storage. Every accepted update is one atomic write of its (clipped)
// delta and the round's bookkeeping, so a restart loses no accepted update and counts none twice; a
// round closes (samples-weighted sum in f64 in client order, so the order of arrival does not
// matter; server step; next round; history entry) in one transaction too, at the quorum or by the
// alarm at its deadline. Vectors are stored in chunks (storage values are limited to 128 KiB).
import { AxonError } from '../../../src/errors.js';
import { clipToNorm, decodeUpdate, maxUpdateBytes, encodeWeights, jobConfig, layoutOf, serverStep, UpdateError, type FullConfig, type JobConfig, type ParamLayout } from '../../../src/federated/protocol.js';

/** The parts of the Durable Object storage API used here (see @cloudflare/workers-types). */
interface Storage {
  get<T>(key: string): Promise<T | undefined>;
  get<T>(keys: string[]): Promise<Map<string, T>>;
  put(entries: Record<string, unknown>): Promise<void>;
  delete(keys: string[]): Promise<number>;
  transaction<T>(fn: (txn: Storage) => Promise<T>): Promise<T>;
  setAlarm(at: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}
interface State { storage: Storage; blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T> }

/** Floats per stored chunk (120,000 bytes, under the 128 KiB value limit). */
const CHUNK = 30_000;
const MAX_CHUNKS = 120;
export interface RoundRecord { round: number; updates: number; samples: number; clipped: number; closedBy: 'quorum' | 'deadline'; meanNorm: number; closedAt: number }
interface Meta { config: FullConfig; layout: ParamLayout; round: number; openedAt: number; accepted: Array<{ client: string; samples: number }>; samples: number; clipped: number; normSum: number; finished: boolean; modelChunks: number }

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
const fail = (status: number, code: string, error: string) => json(status, { error, code });

export class FederatedJob {
  private meta?: Meta;
  private w?: Float32Array;
  /** updates and round closes run one at a time (each reads, then writes, the round's state) */
  private queue: Promise<unknown> = Promise.resolve();
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
  constructor(private readonly state: State) {
    void state.blockConcurrencyWhile(async () => { await this.load(); });
  }

  private async load(): Promise<void> {
    this.meta = await this.state.storage.get<Meta>('meta');
    if (this.meta) this.w = await this.vector('w');
  }
  private chunks(n: number): number { return Math.ceil(n / CHUNK); }
  private keys(prefix: string): string[] { return Array.from({ length: this.chunks(this.meta!.layout.total) }, (_, k) => `${prefix}:${k}`); }
  private async vector(prefix: string): Promise<Float32Array> {
    const keys = this.keys(prefix), got = await this.state.storage.get<Float32Array>(keys), out = new Float32Array(this.meta!.layout.total);
    keys.forEach((k, i) => { const c = got.get(k); if (c) out.set(c, i * CHUNK); });
    return out;
  }
  private put(into: Record<string, unknown>, prefix: string, v: Float32Array): void {
    for (let k = 0; k * CHUNK < v.length; k++) into[`${prefix}:${k}`] = v.slice(k * CHUNK, (k + 1) * CHUNK);
  }

  async fetch(req: Request): Promise<Response> {
    try {
      const path = new URL(req.url).pathname.split('/').pop();
      const client = req.headers.get('x-client') ?? '';   // set by the Worker after it checked the token
      if (req.method === 'POST' && path === 'create') return await this.create(req);
      if (!this.meta) return fail(404, 'NO_JOB', 'no such job; create it first (POST /jobs/<job> with the model)');
      if (req.method === 'GET' && path === 'model.axon') return new Response(await this.modelBytes() as BodyInit, { headers: { 'content-type': 'application/octet-stream' } });
      if (req.method === 'GET' && path === 'weights') return new Response(encodeWeights(this.meta.layout, this.w!, { round: String(this.meta.round), finished: String(this.meta.finished) }) as BodyInit, { headers: { 'content-type': 'application/octet-stream', 'x-round': String(this.meta.round) } });
      if (req.method === 'GET' && path === 'status') return json(200, this.status());
      if (req.method === 'GET' && path === 'history') return json(200, { rounds: await this.history() });
      if (req.method === 'POST' && path === 'update') return await this.update(client, req);
      return fail(404, 'NOT_FOUND', `no route ${req.method} ${path}`);
    } catch (e) {
      if (e instanceof UpdateError) return fail(e.status, e.code, e.message);
      if (e instanceof AxonError) return fail(400, e.code, e.message);
      return fail(500, 'INTERNAL', e instanceof Error ? e.message : String(e));
    }
  }

  private status() {
    const m = this.meta!;
    return { round: m.round, finished: m.finished, accepted: m.accepted.length, quorum: m.config.quorum, samples: m.samples, deadline: m.openedAt + m.config.deadlineMs, params: m.layout.total, config: m.config };
  }

  private async create(req: Request): Promise<Response> {
    if (this.meta) return fail(409, 'JOB_EXISTS', 'this job already exists; pick another name');
    const body = await req.json().catch(() => undefined) as { config?: JobConfig; model?: string } | undefined;
    if (!body || typeof body.model !== 'string') return fail(400, 'BAD_REQUEST', 'send JSON {"model": "<the .axon file, base64>", "config": {...}}');
    const model = Uint8Array.from(atob(body.model), (c) => c.charCodeAt(0));
    const config = jobConfig(body.config);
    const { layout, weights } = layoutOf(model);
    if (this.chunks(layout.total) > MAX_CHUNKS || this.chunks(model.length / 4) > MAX_CHUNKS) return fail(413, 'TOO_LARGE', `the model has ${layout.total} parameters; a job holds at most ${MAX_CHUNKS * CHUNK}`);
    const meta: Meta = { config, layout, round: 0, openedAt: Date.now(), accepted: [], samples: 0, clipped: 0, normSum: 0, finished: false, modelChunks: 0 };
    const e: Record<string, unknown> = {};
    for (let k = 0; k * CHUNK * 4 < model.length; k++) { e[`model:${k}`] = model.slice(k * CHUNK * 4, (k + 1) * CHUNK * 4); meta.modelChunks++; }
    this.put(e, 'w', weights);
    await this.state.storage.transaction(async (t) => {
      const entries = Object.entries(e);
      for (let k = 0; k < entries.length; k += 128) await t.put(Object.fromEntries(entries.slice(k, k + 128)));
      await t.put({ meta });
    });
    await this.state.storage.setAlarm(meta.openedAt + config.deadlineMs);
    this.meta = meta; this.w = weights;
    return json(201, this.status());
  }

  private async modelBytes(): Promise<Uint8Array> {
    const keys = Array.from({ length: this.meta!.modelChunks }, (_, k) => `model:${k}`);
    const got = await this.state.storage.get<Uint8Array>(keys), parts = keys.map((k) => got.get(k)!);
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  private async update(client: string, req: Request): Promise<Response> {
    if (!client) return fail(401, 'UNAUTHENTICATED', 'no client identity');
    const layout = this.meta!.layout, declared = Number(req.headers.get('content-length') ?? NaN);
    if (declared > maxUpdateBytes(layout)) return fail(413, 'TOO_LARGE', `update is ${declared} bytes, more than the ${maxUpdateBytes(layout)} an update of this model can take`);
    const bytes = new Uint8Array(await req.arrayBuffer());
    const u = decodeUpdate(layout, bytes, this.meta!.config.maxSamples);
    return this.serial(() => this.accept(client, u));
  }

  private async accept(client: string, u: ReturnType<typeof decodeUpdate>): Promise<Response> {
    const m = this.meta!;
    if (m.finished) return fail(409, 'FINISHED', `the job finished after ${m.config.rounds} rounds`);
    if (u.round !== m.round) return fail(409, 'STALE_ROUND', `update is for round ${u.round}, the open round is ${m.round}; pull the weights again`);
    if (m.accepted.some((a) => a.client === client)) return fail(409, 'DUPLICATE', `client ${client} already sent its update for round ${m.round}`);
    const norm = clipToNorm(u.delta, m.config.clipNorm);
    const next: Meta = { ...m, accepted: [...m.accepted, { client, samples: u.samples }], samples: m.samples + u.samples, clipped: m.clipped + (norm > m.config.clipNorm ? 1 : 0), normSum: m.normSum + norm };
    const e: Record<string, unknown> = { meta: next };
    this.put(e, `u:${client}`, u.delta);
    await this.state.storage.put(e);   // one atomic write: the update counts exactly when this lands
    this.meta = next;
    const closed = next.accepted.length >= next.config.quorum ? await this.close('quorum') : false;
    return json(200, { accepted: true, round: u.round, norm, clipped: norm > m.config.clipNorm, closed, next: this.meta.round });
  }

  /** The alarm: close the round at its deadline if it has an update; else keep it open another period. */
  async alarm(): Promise<void> {
    const m = this.meta;
    if (!m || m.finished) return;
    await this.serial(async () => {
      const m = this.meta!;
      if (m.finished) return;
      if (Date.now() >= m.openedAt + m.config.deadlineMs && m.accepted.length > 0) await this.close('deadline');
      else await this.state.storage.setAlarm(Math.max(Date.now() + 1000, m.openedAt + m.config.deadlineMs));
    });
  }

  private async close(by: 'quorum' | 'deadline'): Promise<boolean> {
    const m = this.meta!, L = m.layout.total, opt = m.config.server;
    // Σ samples·delta in f64 (exact products; the same sum whatever order the updates came in)
    const sum = new Float64Array(L), sent = [...m.accepted].sort((a, b) => (a.client < b.client ? -1 : 1));
    for (const a of sent) { const d = await this.vector(`u:${a.client}`); for (let i = 0; i < L; i++) sum[i] += a.samples * d[i]; }
    const st = { m: opt.optimizer === 'fedavg' ? new Float32Array(0) : await this.vector('sm'), v: opt.optimizer === 'fedadam' ? await this.vector('sv') : new Float32Array(0) };
    const w = this.w!.slice();
    serverStep(w, sum, m.samples, st, opt);
    const rec: RoundRecord = { round: m.round, updates: m.accepted.length, samples: m.samples, clipped: m.clipped, closedBy: by, meanNorm: m.normSum / m.accepted.length, closedAt: Date.now() };
    const next: Meta = { ...m, round: m.round + 1, openedAt: Date.now(), accepted: [], samples: 0, clipped: 0, normSum: 0, finished: m.round + 1 >= m.config.rounds };
    const e: Record<string, unknown> = { meta: next, [`hist:${String(m.round).padStart(8, '0')}`]: rec };
    this.put(e, 'w', w);
    if (opt.optimizer !== 'fedavg') this.put(e, 'sm', st.m);
    if (opt.optimizer === 'fedadam') this.put(e, 'sv', st.v);
    await this.state.storage.transaction(async (t) => {
      const entries = Object.entries(e);
      for (let k = 0; k < entries.length; k += 128) await t.put(Object.fromEntries(entries.slice(k, k + 128)));   // (128 keys per call)
      const drop = sent.flatMap((a) => this.keys(`u:${a.client}`));
      for (let k = 0; k < drop.length; k += 128) await t.delete(drop.slice(k, k + 128));
    });
    this.meta = next; this.w = w;
    if (!next.finished) await this.state.storage.setAlarm(next.openedAt + next.config.deadlineMs);
    return true;
  }

  private async history(): Promise<RoundRecord[]> {
    const keys = Array.from({ length: this.meta!.round }, (_, r) => `hist:${String(r).padStart(8, '0')}`);
    const out: RoundRecord[] = [];
    for (let k = 0; k < keys.length; k += 128) { const got = await this.state.storage.get<RoundRecord>(keys.slice(k, k + 128)); for (const key of keys.slice(k, k + 128)) { const r = got.get(key); if (r) out.push(r); } }
    return out;
  }
}
