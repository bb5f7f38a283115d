import type { Server } from 'node:http';
export function serveStatic(dir: string, opts?: { port?: number; host?: string; isolated?: boolean }): Promise<{ server: Server; url: string; close: () => Promise<void> }>;
