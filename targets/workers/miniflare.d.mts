import type { Miniflare } from 'miniflare';
export const COMPATIBILITY_DATE: string;
export function startWorker(o?: { dir?: string; script?: string; build?: 'auto' | 'simd' | 'relaxed'; kvPersist?: string | false; port?: number; log?: boolean; finetuneLr?: number }): Promise<{ url: string; mf: Miniflare; close: () => Promise<void> }>;
