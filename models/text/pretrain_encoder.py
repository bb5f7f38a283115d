#!/usr/bin/python3
# Pretrains the small BERT-style encoder of the text transfer path (models/text/transfer.json) with
# masked-language modelling on the utterances of intents.tsv (text only: the labels are not read),
# tokenized with the shipped tokenizer.json's WordPiece vocabulary, and exports it with
# torch.onnx.export. Run by hand (Debian python3-torch 1.13), never at test or train time:
#   /usr/bin/python3 models/text/pretrain_encoder.py      # ~1-2 min on one core
# and commit models/text/encoder.onnx.gz (+ encoder.json, the run's record). Seeded: the same
# torch build on the same CPU writes the same file.
#
# Model (Hugging Face BertModel's layout, written out): word embeddings (1,179 x 64, [PAD] = 0) +
# learned positions (32), LayerNorm, 2 post-norm layers (4 heads, GELU erf feed-forward 128),
# LayerNorm eps 1e-12. Exported graph: int64 input_ids and attention_mask [batch, seq] (dynamic
# axes) -> hidden [batch, seq, 64], the last hidden state; the MLM head (dense + GELU + LayerNorm +
# the tied word embeddings) is used for pretraining only and not exported.
# Masking: 15 % of the real tokens of each sentence (at least one, never [CLS] / [SEP]), of
# which 80 % become [MASK], 10 % a random token, 10 % stay; drawn anew each epoch.
# Plus, as unsupervised SimCSE does, a sentence objective without labels: each unmasked sentence
# of the batch is encoded twice (different dropout) and the masked means of the two views must
# pick each other out of the batch (cross-entropy over cosine similarities / 0.05). MLM alone
# gives token features whose mean says little about the sentence (a frozen encoder + linear head
# reached 68 % on the 300-example task, below the model trained from scratch); with it, the mean
# is a sentence embedding.
# Weights are rounded to float16 values before export (stored as float32), so the file gzips to
# about half its size; the ONNX file is then exactly what the tests compare with onnxruntime.
import gzip, io, json, math, os, random, unicodedata
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SEED, D, HEADS, FF, LAYERS, MAXLEN = 7, 64, 4, 128, 2, 32
EPOCHS, BATCH, LR, WARMUP, SIMCSE, TEMP = 24, 64, 2e-3, 100, 1.0, 0.05
torch.set_num_threads(1)


# ---- the tokenizer.json's WordPiece (BERT normalizer and pre-tokenizer), in Python ----
class WordPiece:
    def __init__(self, path):
        t = json.load(open(path, encoding='utf-8'))
        self.vocab = t['model']['vocab']
        self.unk = self.vocab[t['model']['unk_token']]
        self.cls, self.sep, self.pad, self.mask = (self.vocab[s] for s in ('[CLS]', '[SEP]', '[PAD]', '[MASK]'))

    @staticmethod
    def words(text):
        text = unicodedata.normalize('NFD', text.lower())
        text = ''.join(c for c in text if unicodedata.category(c) != 'Mn' and not (unicodedata.category(c).startswith('C') and c not in '\t\n\r'))
        out, cur = [], ''
        for c in text:
            if c.isspace():
                if cur: out.append(cur)
                cur = ''
            elif unicodedata.category(c).startswith('P') or (33 <= ord(c) <= 47 or 58 <= ord(c) <= 64 or 91 <= ord(c) <= 96 or 123 <= ord(c) <= 126):
                if cur: out.append(cur)
                out.append(c)
                cur = ''
            else:
                cur += c
        if cur: out.append(cur)
        return out

    def encode(self, text):
        ids = [self.cls]
        for w in self.words(text):
            pieces, start = [], 0
            while start < len(w):
                end = len(w)
                while end > start:
                    sub = ('##' if start else '') + w[start:end]
                    if sub in self.vocab:
                        break
                    end -= 1
                if end == start:
                    pieces = [self.unk]
                    break
                pieces.append(self.vocab[sub])
                start = end
            ids.extend(pieces)
        return (ids + [self.sep])[:MAXLEN]


# ---- the encoder ----
class BertLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value, self.attn_out = (nn.Linear(D, D) for _ in range(4))
        self.ln1 = nn.LayerNorm(D, eps=1e-12)
        self.intermediate, self.output = nn.Linear(D, FF), nn.Linear(FF, D)
        self.ln2 = nn.LayerNorm(D, eps=1e-12)
        self.drop = nn.Dropout(0.1)

    def heads(self, x):
        return x.view(x.size()[:-1] + (HEADS, D // HEADS)).permute(0, 2, 1, 3)

    def forward(self, x, ext_mask):
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D // HEADS) + ext_mask
        ctx = torch.matmul(F.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (D,))
        a = self.ln1(self.drop(self.attn_out(ctx)) + x)
        return self.ln2(self.drop(self.output(F.gelu(self.intermediate(a)))) + a)


class Encoder(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.word = nn.Embedding(vocab, D, padding_idx=0)
        self.position = nn.Embedding(MAXLEN, D)
        self.ln = nn.LayerNorm(D, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        self.layers = nn.ModuleList([BertLayer() for _ in range(LAYERS)])
        self.register_buffer('position_ids', torch.arange(MAXLEN).expand((1, -1)))

    def forward(self, input_ids, attention_mask):
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        h = self.drop(self.ln(self.word(input_ids) + self.position(self.position_ids[:, :input_ids.size(1)])))
        for layer in self.layers:
            h = layer(h, ext)
        return h


class MlmHead(nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.dense, self.ln = nn.Linear(D, D), nn.LayerNorm(D, eps=1e-12)
        self.enc, self.bias = enc, nn.Parameter(torch.zeros(enc.word.num_embeddings))

    def forward(self, h):
        return self.ln(F.gelu(self.dense(h))) @ self.enc.word.weight.t() + self.bias


def mean_pool(h, mask):
    m = mask.unsqueeze(-1).to(h.dtype)
    return (h * m).sum(1) / m.sum(1)


def batches(seqs, rng):
    order = list(range(len(seqs)))
    rng.shuffle(order)
    for i in range(0, len(order), BATCH):
        rows = [seqs[j] for j in order[i:i + BATCH]]
        T = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), T, dtype=torch.int64)
        for r, s in enumerate(rows):
            ids[r, :len(s)] = torch.tensor(s)
        yield ids, (ids != 0).to(torch.int64)


def mask_tokens(ids, tok, vocab, g):
    real = (ids != tok.pad) & (ids != tok.cls) & (ids != tok.sep)
    pick = (torch.rand(ids.shape, generator=g) < 0.15) & real
    for r in range(ids.shape[0]):   # at least one target per sentence
        if not pick[r].any():
            cand = real[r].nonzero().flatten()
            pick[r, cand[torch.randint(len(cand), (1,), generator=g)]] = True
    labels = torch.where(pick, ids, torch.full_like(ids, -100))
    u = torch.rand(ids.shape, generator=g)
    x = ids.clone()
    x[pick & (u < 0.8)] = tok.mask
    rand = pick & (u >= 0.8) & (u < 0.9)
    x[rand] = torch.randint(5, vocab, ids.shape, generator=g)[rand]
    return x, labels


def main():
    torch.manual_seed(SEED)
    rng, g = random.Random(SEED), torch.Generator().manual_seed(SEED)
    tok = WordPiece(os.path.join(HERE, 'tokenizer.json'))
    lines = [l.split('\t', 1)[1] for l in open(os.path.join(HERE, 'intents.tsv'), encoding='utf-8').read().splitlines() if '\t' in l]
    seqs = [tok.encode(t) for t in lines]
    vocab = len(tok.vocab)
    enc = Encoder(vocab)
    head = MlmHead(enc)
    with torch.no_grad():   # BERT's initialization: normal(0, 0.02) matrices and embeddings, zero biases
        for mod in list(enc.modules()) + [head.dense]:
            if isinstance(mod, (nn.Linear, nn.Embedding)):
                mod.weight.normal_(0.0, 0.02)
            if isinstance(mod, nn.Linear):
                mod.bias.zero_()
        enc.word.weight[0].zero_()
    params = list(enc.parameters()) + [p for n, p in head.named_parameters() if not n.startswith('enc.')]
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    steps = EPOCHS * math.ceil(len(seqs) / BATCH)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / WARMUP) * max(0.0, 1 - s / steps))
    history = []
    for epoch in range(EPOCHS):
        enc.train(); total, hits, n, ctotal, rows = 0.0, 0, 0, 0.0, 0
        for ids, mask in batches(seqs, rng):
            x, labels = mask_tokens(ids, tok, vocab, g)
            logits = head(enc(x, mask))
            mlm = F.cross_entropy(logits.view(-1, vocab), labels.view(-1), ignore_index=-100)
            a, b = mean_pool(enc(ids, mask), mask), mean_pool(enc(ids, mask), mask)
            sim = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).t() / TEMP
            cse = F.cross_entropy(sim, torch.arange(len(ids)))
            loss = mlm + SIMCSE * cse
            ctotal += float(cse) * len(ids); rows += len(ids)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            sel = labels != -100
            total += float(mlm) * int(sel.sum()); n += int(sel.sum())
            hits += int((logits.argmax(-1)[sel] == labels[sel]).sum())
        history.append({'epoch': epoch + 1, 'mlmLoss': round(total / n, 4), 'maskedAccuracy': round(hits / n, 4), 'simcseLoss': round(ctotal / rows, 4)})
        print(history[-1], flush=True)
    enc.eval()
    with torch.no_grad():
        for p in enc.parameters():
            p.copy_(p.half().float())
    ids, mask = next(batches(seqs[:4], random.Random(0)))
    buf = io.BytesIO()
    seq = {0: 'batch', 1: 'seq'}
    torch.onnx.export(enc, (ids, mask), buf, opset_version=14, input_names=['input_ids', 'attention_mask'], output_names=['hidden'],
                      dynamic_axes={'input_ids': seq, 'attention_mask': seq, 'hidden': seq}, do_constant_folding=True)
    with open(os.path.join(HERE, 'encoder.onnx.gz'), 'wb') as f:
        f.write(gzip.compress(buf.getvalue(), 9, mtime=0))
    record = {'torch': torch.__version__, 'seed': SEED, 'opset': 14, 'model': {'vocab': vocab, 'hidden': D, 'heads': HEADS, 'ff': FF, 'layers': LAYERS, 'maxLength': MAXLEN},
              'pretraining': {'sentences': len(seqs), 'epochs': EPOCHS, 'batch': BATCH, 'lr': LR, 'warmup': WARMUP, 'weightDecay': 0.01, 'mask': 0.15, 'simcse': {'weight': SIMCSE, 'temperature': TEMP}},
              'parameters': sum(p.numel() for p in enc.parameters()), 'onnxBytes': len(buf.getvalue()), 'history': history,
              'ids': [tok.encode(t) for t in lines[:8]]}
    with open(os.path.join(HERE, 'encoder.json'), 'w') as f:
        json.dump(record, f, indent=1)


if __name__ == '__main__':
    main()
