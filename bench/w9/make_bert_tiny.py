# W9 reference: a BERT-tiny-shaped encoder classifier in PyTorch (vocab 1,000, 128 positions, hidden
# 128, 2 post-norm encoder layers with 2 heads, intermediate 512, exact GELU, masked mean pooling,
# 2 classes), seeded. Writes into out/w9/: bert_tiny.onnx (opset 14, dynamic batch and sequence),
# weights.bin + weights.json (f32, Axon layer names), and torch.json: its outputs on the probe batch
# and PyTorch's own CPU timings with one thread (inference; AdamW fine-tuning at batch 16).
# Run by bench/w9/bert.mjs with Debian's python3-torch: /usr/bin/python3 bench/w9/make_bert_tiny.py
import json, os, sys, time, torch
torch.manual_seed(0); torch.set_num_threads(1)
V, P, D, H, F, L, C, T = 1000, 128, 128, 2, 512, 2, 2, 128
out = sys.argv[1] if len(sys.argv) > 1 else 'out/w9'
os.makedirs(out, exist_ok=True)

class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(V, D); self.pos = torch.nn.Embedding(P, D); self.ln = torch.nn.LayerNorm(D)
        self.layers = torch.nn.ModuleList([torch.nn.TransformerEncoderLayer(D, H, F, dropout=0.0, activation='gelu', batch_first=True) for _ in range(L)])
        self.cls = torch.nn.Linear(D, C)
    def forward(self, ids, mask):
        x = self.ln(self.tok(ids) + self.pos.weight[: ids.shape[1]])
        pad = mask == 0
        for l in self.layers: x = l(x, src_key_padding_mask=pad)
        m = mask.unsqueeze(-1).to(x.dtype)
        return self.cls((x * m).sum(1) / m.sum(1).clamp(min=1))

m = Tiny().train()   # train mode, dropout 0: the same math without the nested-tensor fast path
g = torch.Generator().manual_seed(1)
def batch(B):
    ids = torch.randint(1, V, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.int64)
    for b in range(B): mask[b, T - (b * 13) % 40:] = 0   # some padding
    return ids * mask, mask
ids, mask = batch(4)
with torch.no_grad(): ref = m(ids, mask)
torch.onnx.export(m, (ids, mask), f'{out}/bert_tiny.onnx', input_names=['ids', 'mask'], output_names=['logits'], opset_version=14,
                  dynamic_axes={'ids': {0: 'B', 1: 'T'}, 'mask': {0: 'B', 1: 'T'}, 'logits': {0: 'B'}})
# weights under Axon's names (bench/w9/bert.mjs builds the model with addEncoderBlock)
W = {'tok.weight': m.tok.weight, 'pos.weight': m.pos.weight, 'ln.weight': m.ln.weight, 'ln.bias': m.ln.bias, 'cls.weight': m.cls.weight, 'cls.bias': m.cls.bias}
for k, l in enumerate(m.layers):
    a, w, b = f'enc{k}/', l.self_attn.in_proj_weight, l.self_attn.in_proj_bias
    W.update({a + 'attn.q_weight': w[:D], a + 'attn.k_weight': w[D:2 * D], a + 'attn.v_weight': w[2 * D:], a + 'attn.q_bias': b[:D], a + 'attn.k_bias': b[D:2 * D], a + 'attn.v_bias': b[2 * D:],
              a + 'attn.o_weight': l.self_attn.out_proj.weight, a + 'attn.o_bias': l.self_attn.out_proj.bias, a + 'ff1.weight': l.linear1.weight, a + 'ff1.bias': l.linear1.bias,
              a + 'ff2.weight': l.linear2.weight, a + 'ff2.bias': l.linear2.bias, a + 'ln1.weight': l.norm1.weight, a + 'ln1.bias': l.norm1.bias, a + 'out.weight': l.norm2.weight, a + 'out.bias': l.norm2.bias})
index, blob, off = {}, bytearray(), 0
for k, t in W.items():
    v = t.detach().contiguous().float().numpy().tobytes(); index[k] = [off, len(v) // 4]; blob += v; off += len(v)
open(f'{out}/weights.bin', 'wb').write(blob); json.dump(index, open(f'{out}/weights.json', 'w'))

def med(f, n):
    ts = []
    for _ in range(n): t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]
m.eval()
with torch.no_grad():
    i1, m1 = batch(1); i32, m32 = batch(32)
    for _ in range(3): m(i1, m1); m(i32, m32)
    b1 = med(lambda: m(i1, m1), 20); b32 = med(lambda: m(i32, m32), 5)
m.train()
opt = torch.optim.AdamW(m.parameters(), lr=1e-4); i16, m16 = batch(16); y16 = torch.randint(0, C, (16,), generator=g)
def step():
    opt.zero_grad(); torch.nn.functional.cross_entropy(m(i16, m16), y16).backward(); opt.step()
for _ in range(2): step()
tr = med(step, 5)
json.dump({'torch': torch.__version__, 'probe': {'ids': ids.reshape(-1).tolist(), 'mask': mask.reshape(-1).tolist(), 'B': 4, 'T': T}, 'logits': ref.reshape(-1).tolist(),
           'b1_ms': b1 * 1e3, 'b32_seq_per_s': 32 / b32, 'train16_seq_per_s': 16 / tr}, open(f'{out}/torch.json', 'w'))
print(f'torch {torch.__version__}: b1 {b1 * 1e3:.2f} ms, b32 {32 / b32:.0f} seq/s, AdamW b16 {16 / tr:.1f} seq/s')
