export function buildBrowser(opts?: { outdir?: string }): Promise<void>;
