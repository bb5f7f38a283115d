// A one-node ONNX MatMul model (C = A . B, B an initializer): the onnxruntime-web peer of bench/gemm.mjs and bench/threads.mjs.
export function onnxMatMul(n, B) {
  const cat = (...parts) => { // parts: Uint8Array | number[]
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0; for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  const varint = (v) => { const o = []; do { let b = v % 128; v = Math.floor(v / 128); if (v) b |= 0x80; o.push(b); } while (v); return o; };
  const int = (no, v) => cat(varint(no << 3), varint(v));
  const len = (no, payload) => cat(varint((no << 3) | 2), varint(payload.length), payload);
  const str = (no, s) => len(no, new TextEncoder().encode(s));
  const valueInfo = (name) => cat(str(1, name), len(2, len(1, cat(int(1, 1), len(2, cat(len(1, int(1, n)), len(1, int(1, n))))))));
  const tensor = cat(int(1, n), int(1, n), int(2, 1), str(8, 'B'), len(9, new Uint8Array(B.buffer, B.byteOffset, B.byteLength)));
  const node = cat(str(1, 'A'), str(1, 'B'), str(2, 'C'), str(3, 'mm'), str(4, 'MatMul'));
  const graph = cat(len(1, node), str(2, 'w1'), len(5, tensor), len(11, valueInfo('A')), len(12, valueInfo('C')));
  return cat(int(1, 8), str(2, 'axon-bench'), len(7, graph), len(8, cat(str(1, ''), int(2, 13))));
}
