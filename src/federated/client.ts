// The federated fine-tuning client (`axon/federated`): pulls a job's model and current weights from
// the federated Worker (targets/workers/federated), trains locally with Axon on data that never
// leaves the device, and pushes the weight delta (f32, or int8 with a scale per tensor). Runs
// wherever fetch does: Node, browsers, Workers.
import { AxonError } from '../errors.js';
import { decodeSafetensors } from '../format/safetensors.js';
import { loadLayers, modelFromBytes } from '../model/serialize.js';
import type { Model } from '../model/model.js';
import type { FitOptions } from '../train/trainer.js';
import type { Inputs } from '../model/inputs.js';
import type { Targets } from '../train/feed.js';
import { Tensor } from '../runtime/tensor.js';
import { encodeUpdate, layoutOf, type ParamLayout } from './protocol.js';

export interface FederatedClientOptions {
  /** the federated Worker's origin, e.g. https://fed.example.workers.dev */
  url: string; job: string;
  /** this client's name and its token (from the job's owner: POST /jobs/<job>/tokens) */
  client: string; token: string;
  fetch?: typeof fetch;
}
export interface UpdateResult { accepted: boolean; round: number; norm: number; clipped: boolean; closed: boolean; next: number }

export class FederatedClient {
  private layout?: ParamLayout;
  private readonly http: typeof fetch;
  constructor(readonly opts: FederatedClientOptions) { this.http = opts.fetch ?? fetch.bind(globalThis); }

  private async call(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await this.http(`${this.opts.url.replace(/\/$/, '')}/jobs/${this.opts.job}/${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.opts.client}.${this.opts.token}` } });
    if (!res.ok) {
      const body = await res.json().catch(() => ({})) as { error?: string; code?: string };
      throw new AxonError('IO', `federated ${path}: HTTP ${res.status} ${body.code ?? ''}: ${body.error ?? res.statusText}`, { status: res.status, code: body.code });
    }
    return res;
  }

  /** The job's model (architecture and initial weights), as a Model to compile and train. */
  async model(): Promise<Model> {
    const bytes = new Uint8Array(await (await this.call('model.axon')).arrayBuffer());
    this.layout = layoutOf(bytes).layout;
    await loadLayers(bytes);   // (a family the browser entry loads on demand)
    return modelFromBytes(bytes, `federated job ${this.opts.job}`).model;
  }

  /** The current global weights and the open round. */
  async pull(): Promise<{ round: number; finished: boolean; weights: Map<string, Float32Array> }> {
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(await (await this.call('weights')).arrayBuffer()), 'federated weights', { copy: true });
    const weights = new Map([...tensors].map(([k, t]) => [k, t.data as Float32Array]));
    return { round: Number(metadata.round), finished: metadata.finished === 'true', weights };
  }

  /** Sends new − old weights, trained on `samples` samples, for `round`. */
  async push(before: Map<string, Float32Array>, after: Map<string, Float32Array>, samples: number, round: number, o: { int8?: boolean } = {}): Promise<UpdateResult> {
    if (!this.layout) await this.model();   // (the job's parameter layout comes with its model file)
    const L = this.layout!;
    const delta = new Float32Array(L.total);
    L.names.forEach((n, k) => {
      const a = after.get(n), b = before.get(n);
      if (!a || !b) throw new AxonError('BAD_ARGUMENT', `FederatedClient.push: weights lack "${n}"`);
      for (let i = 0; i < a.length; i++) delta[L.offsets[k] + i] = a[i] - b[i];
    });
    const body = encodeUpdate(L, delta, { round, samples, int8: o.int8 });
    return (await this.call('update', { method: 'POST', body: body as unknown as BodyInit, headers: { 'content-type': 'application/octet-stream' } })).json() as Promise<UpdateResult>;
  }

  /**
   * One round on this device: pull the global weights into `model` (compiled by the caller), fit
   * on (x, y), push the delta. Returns the server's answer (and the round it was for).
   */
  async trainRound(model: Model, x: Inputs, y: Targets, fit: FitOptions & { int8?: boolean; samples?: number } = {}): Promise<UpdateResult> {
    const { round, finished, weights } = await this.pull();
    if (finished) throw new AxonError('BAD_ARGUMENT', `federated job ${this.opts.job} has finished`);
    model.setWeights(weights);
    const { int8, samples, ...fitOpts } = fit;
    await model.fit(x, y, fitOpts);
    const first = x instanceof Tensor ? x : Array.isArray(x) ? x[0] : Object.values(x)[0];
    return this.push(weights, model.getWeights(), samples ?? first.shape[0], round, { int8 });
  }
}
