import type { Miniflare } from 'miniflare';
export function startFederated(o?: { dir?: string; persist?: string | false; secret?: string; admin?: string; log?: boolean }): Promise<{ url: string; mf: Miniflare; close: () => Promise<void> }>;
