// Module types the Workers bundlers provide: .wasm → WebAssembly.Module (CompiledWasm),
// model files → ArrayBuffer (wrangler's "Data" rule; esbuild `copy` loader + miniflare modulesRules).
declare module '*.wasm' { const module: WebAssembly.Module; export default module; }
declare module '*.axon' { const bytes: ArrayBuffer; export default bytes; }
