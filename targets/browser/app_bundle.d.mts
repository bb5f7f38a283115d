export interface AppChunk { file: string; bytes: Uint8Array; inputs: string[] }
export function bundleApp(source: string, opts: { outdir: string; splitting?: boolean; minify?: boolean }): Promise<{ start: AppChunk[]; onDemand: Record<string, AppChunk[]> }>;
