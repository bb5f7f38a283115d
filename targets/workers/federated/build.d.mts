export function buildFederated(o?: { outdir?: string; minify?: boolean }): Promise<void>;
