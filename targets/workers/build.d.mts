/** model: a model file (.axon) the template Worker serves instead of its digits.axon */
export function buildWorkers(opts?: { outdir?: string; minify?: boolean; model?: string }): Promise<void>;
