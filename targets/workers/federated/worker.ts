// The federated fine-tuning Worker: routes /jobs/<job>/... to the job's Durable Object (one per job,
// by name) after checking who is asking. Clients authenticate with `authorization: Bearer
// <client>.<token>`, the token being HMAC-SHA256(FED_SECRET, "<job>:<client>") in base64url, which
// the job's owner hands out (POST /jobs/<job>/tokens); the owner authenticates with ADMIN_TOKEN.
//   POST /jobs/<job>          (owner) JSON {"model": base64 .axon, "config": {quorum, deadlineMs, rounds, clipNorm, server}}
//   POST /jobs/<job>/tokens   (owner) JSON {"clients": ["a", "b"]} → {"tokens": {"a": "...", ...}}
//   GET  /jobs/<job>/model.axon, /weights (safetensors; x-round), /status, /history   (a client or the owner)
//   POST /jobs/<job>/update   (a client) safetensors delta with metadata round + samples (src/federated/protocol.ts)
// Errors are 4xx JSON {error, code} and change nothing.
import { FederatedJob, json } from './job.js';

export { FederatedJob };
interface Namespace { idFromName(name: string): unknown; get(id: unknown): { fetch(req: Request): Promise<Response> } }
export interface Env { JOBS: Namespace; FED_SECRET: string; ADMIN_TOKEN: string }

const JOB = /^[A-Za-z0-9_-]{1,64}$/, CLIENT = /^[A-Za-z0-9_-]{1,64}$/;
const enc = new TextEncoder();
const b64url = (b: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** The token of client in job (HMAC-SHA256 under the Worker's secret). */
export async function clientToken(secret: string, job: string, client: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return b64url(await crypto.subtle.sign('HMAC', key, enc.encode(`${job}:${client}`)));
}
/** Constant-time string comparison. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

async function caller(req: Request, env: Env, job: string): Promise<{ admin: boolean; client?: string }> {
  const auth = req.headers.get('authorization') ?? '', m = /^Bearer (\S+)$/.exec(auth);
  if (!m) return { admin: false };
  if (env.ADMIN_TOKEN && same(m[1], env.ADMIN_TOKEN)) return { admin: true };
  const dot = m[1].indexOf('.'), client = m[1].slice(0, dot), token = m[1].slice(dot + 1);
  if (dot < 1 || !CLIENT.test(client)) return { admin: false };
  return same(token, await clientToken(env.FED_SECRET, job, client)) ? { admin: false, client } : { admin: false };
}

// Browser clients call from their page's origin: any origin may (the bearer token, not a cookie, authenticates)
const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'authorization, content-type', 'access-control-expose-headers': 'x-round', 'access-control-max-age': '86400' };

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: CORS });
    const res = await route(req, env), headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(CORS)) headers.set(k, v);
    return new Response(res.body, { status: res.status, headers });
  },
};

async function route(req: Request, env: Env): Promise<Response> {
    const parts = new URL(req.url).pathname.split('/').filter(Boolean);
    if (parts[0] !== 'jobs' || parts.length < 2 || parts.length > 3) return json(404, { error: 'routes: /jobs/<job>[/model.axon|weights|status|history|update|tokens]', code: 'NOT_FOUND' });
    const job = parts[1], action = parts[2] ?? 'create';
    if (!JOB.test(job)) return json(400, { error: 'a job name is 1–64 letters, digits, "-" or "_"', code: 'BAD_REQUEST' });
    if (!env.FED_SECRET) return json(500, { error: 'the Worker has no FED_SECRET binding', code: 'MISCONFIGURED' });
    const who = await caller(req, env, job);
    if (!who.admin && !who.client) return json(401, { error: 'authenticate with "authorization: Bearer <client>.<token>" (or the owner\'s token)', code: 'UNAUTHENTICATED' });
    const ownerOnly = action === 'create' || action === 'tokens';
    if (ownerOnly && !who.admin) return json(403, { error: `${action} is for the job's owner`, code: 'FORBIDDEN' });
    if (action === 'update' && !who.client) return json(403, { error: 'updates come from clients', code: 'FORBIDDEN' });
    if (action === 'tokens') {
      const body = await req.json().catch(() => undefined) as { clients?: unknown } | undefined;
      const clients = body?.clients;
      if (!Array.isArray(clients) || clients.length > 10_000 || !clients.every((c) => typeof c === 'string' && CLIENT.test(c))) return json(400, { error: 'send {"clients": ["name", ...]} (1–64 letters, digits, "-" or "_" each)', code: 'BAD_REQUEST' });
      return json(200, { tokens: Object.fromEntries(await Promise.all(clients.map(async (c: string) => [c, await clientToken(env.FED_SECRET, job, c)]))) });
    }
    const headers = new Headers(req.headers);
    headers.set('x-client', who.client ?? '');
    const stub = env.JOBS.get(env.JOBS.idFromName(job));
    return stub.fetch(new Request(new URL(`/${action}`, req.url), { method: req.method, headers, body: req.method === 'GET' ? undefined : req.body }));
}
