export function buildWorkers(opts?: { outdir?: string; minify?: boolean }): Promise<void>;
