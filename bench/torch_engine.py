#!/usr/bin/python3
"""PyTorch reference ("peer") benchmark for widedeep.

Run with Debian's interpreter, which has python3-torch 1.13 (the pyenv python3 on PATH has no torch):

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_engine.py --case small

Prints ONE JSON line on stdout (progress and warnings go to stderr). Cases and the exact work of each are
documented in bench/README.md; the TypeScript benchmark must do the same work.

PyTorch is set up at its best: 2 intra-op threads, OpenBLAS for GEMM (see bench/torch_blas.py: Debian's torch
links libblas.so.3, which on a machine without OpenBLAS is the reference BLAS, ~50x slower), sparse
embedding gradients with SparseAdam / Adagrad, Adam for dense parameters, zero_grad(set_to_none=True),
eval + inference_mode for scoring (TorchScript trace + freeze, and eager for reference), pre-generated
inputs, warm-up excluded, time.perf_counter timing.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time


# Default steps per repeat, measured so each case takes roughly 10-20 s on the 2-vCPU machine.
CASE_DEFAULTS = {
    # case: (timed steps per repeat, warm-up steps, repeats); score: --steps = calls at batch 1
    "small": (300, 20, 5),
    "criteo": (25, 5, 5),
    "criteo_small": (50, 5, 5),
    "gru": (60, 10, 5),
    "score": (4000, 50, 5),
    "memory": (25, 5, 5),  # = criteo, plus the memory accounting
}


# ----------------------------------------------------------------------------------------------------------
# BLAS selection. Must run before numpy or torch are imported: preloading OpenBLAS's libblas.so.3 /
# liblapack.so.3 with RTLD_GLOBAL makes the dynamic linker bind torch's (and numpy's) libblas.so.3
# dependency to it, whatever /etc/alternatives says. Nothing on the system is changed.
# ----------------------------------------------------------------------------------------------------------
import torch_blas  # noqa: E402  (bench/torch_blas.py: OpenBLAS selection, before numpy / torch)

torch_blas.TAG = "[torch_engine]"


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", required=True, choices=sorted(CASE_DEFAULTS))
    ap.add_argument("--steps", type=int, help="timed steps per repeat (score: calls per batch size at batch 1)")
    ap.add_argument("--warmup", type=int, help="untimed warm-up steps before the first repeat")
    ap.add_argument("--repeats", type=int, help="timed repeats; samples_per_s is their median")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mlp", help="hidden sizes, e.g. 256,128,64 (overrides the case's MLP)")
    ap.add_argument("--batch", type=int, help="override the case's batch size")
    ap.add_argument("--pool", type=int, default=256, help="pre-generated batches cycled through (default 256)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blas", default="auto",
                    help="auto (default: OpenBLAS if it can be found), system, or a dir holding OpenBLAS's libblas.so.3")
    ap.add_argument("--layout", choices=["fused", "per_field_bag", "per_field_emb"],
                    help="deep embedding tables: one table over offset ids, or one EmbeddingBag/Embedding per field")
    ap.add_argument("--gru-last", choices=["gather", "packed"], default="gather",
                    help="gru: last valid hidden state by gather at length-1 (default) or pack_padded_sequence")
    ap.add_argument("--adam-foreach", choices=["on", "off"], default="off")
    ap.add_argument("--paired", action="store_true",
                    help="before each timed repeat print {\"gate\": r} and wait for a line on stdin (bench/run.ts "
                         "--paired runs the other side's repeat in between)")
    return ap.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
torch, BLAS = torch_blas.import_torch("torch_engine", ARGS.threads, ARGS.blas)

import numpy as np  # noqa: E402  (after the BLAS preload on purpose)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


RSS = {"after_import": None}


def log(msg):
    print(f"[torch_engine] {msg}", file=sys.stderr, flush=True)


def gate(r):
    """--paired: announce timed repeat r on stdout and wait for the harness's go-ahead (one line on stdin)."""
    if not ARGS.paired:
        return
    print(json.dumps({"gate": r}), flush=True)
    if not sys.stdin.readline():
        raise SystemExit("[torch_engine] --paired: stdin closed before repeat %d" % r)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


# ----------------------------------------------------------------------------------------------------------
# Synthetic data. Every case draws its inputs with numpy's PCG64 (np.random.default_rng(seed)) and labels
# from a fixed random logistic "teacher" over the same inputs, so the loss has something to learn.
# ----------------------------------------------------------------------------------------------------------

def zipf_sampler(vocab, exponent):
    """Truncated Zipf over ids 1..vocab-1 (id 0 = OOV/padding, never drawn): P(id=k) ∝ k^-exponent.
    Ids are the frequency ranks, as a count-sorted fitted vocabulary would assign them."""
    ranks = np.arange(1, vocab, dtype=np.float64)
    cdf = np.cumsum(ranks ** -exponent)
    cdf /= cdf[-1]

    def draw(rng, shape):
        return (np.searchsorted(cdf, rng.random(shape), side="right") + 1).astype(np.int64)
    return draw


def uniform_sampler(vocab):
    """Uniform over ids 1..vocab-1 (id 0 reserved for OOV/padding)."""
    def draw(rng, shape):
        return rng.integers(1, vocab, size=shape, dtype=np.int64)
    return draw


def hash_cross(a, b, buckets):
    """Hashed cross of two id columns: ((a * 1_000_003 + b) * 2654435761 mod 2^32) mod buckets."""
    x = (a.astype(np.uint64) * np.uint64(1_000_003) + b.astype(np.uint64)) * np.uint64(2654435761)
    return ((x & np.uint64(0xFFFFFFFF)) % np.uint64(buckets)).astype(np.int64)


def bernoulli_labels(rng, logit):
    p = 1.0 / (1.0 + np.exp(-logit))
    y = (rng.random(logit.shape) < p).astype(np.float32)
    # loss of the teacher itself on these labels: the floor a perfect model could reach
    bayes = float(np.mean(-(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))))
    return y, bayes


class TabularSpec:
    """Shapes of one tabular Wide & Deep case."""

    def __init__(self, name, batch, n_cat, vocab, emb_dim, n_num, mlp, draw, cross_buckets=0):
        self.name, self.batch, self.n_cat, self.vocab, self.emb_dim = name, batch, n_cat, vocab, emb_dim
        self.n_num, self.mlp, self.draw, self.cross_buckets = n_num, mlp, draw, cross_buckets
        # wide rows: each field's ids at offset f*vocab, then the cross buckets
        self.wide_rows = n_cat * vocab + cross_buckets
        self.wide_per_row = n_cat + (1 if cross_buckets else 0)


def pack_ids(b, ids_off, cat, layout):
    """Stores the deep-embedding ids in the form the layout reads: offset ids [B, F] for the fused table, or one
    contiguous [B, 1] column per field for per-field tables."""
    if layout == "fused":
        b["cat_off"] = ids_off
    else:
        b["cat_cols"] = [torch.from_numpy(np.ascontiguousarray(cat[:, f:f + 1])) for f in range(cat.shape[1])]


def make_tabular_pool(spec, rng, pool, layout):
    """Returns (list of batch dicts, teacher Bayes loss, mean unique (field, id) pairs per batch).
    Teacher: logit = sum_f e_f[id_f] + cross_e[cross] + num . w_num, centred per batch; y ~ Bernoulli(sigmoid)."""
    field_effect = rng.normal(0.0, 0.6 if spec.n_cat < 20 else 0.3, size=(spec.n_cat, spec.vocab))
    cross_effect = rng.normal(0.0, 0.6, size=spec.cross_buckets) if spec.cross_buckets else None
    num_w = rng.normal(0.0, 0.5, size=spec.n_num)
    field_off = (np.arange(spec.n_cat, dtype=np.int64) * spec.vocab)[None, :]
    batches, bayes, uniq = [], [], []
    for _ in range(pool):
        cat = spec.draw(rng, (spec.batch, spec.n_cat))                      # raw ids per field, [B, F]
        num = rng.standard_normal((spec.batch, spec.n_num)).astype(np.float32)
        logit = field_effect[np.arange(spec.n_cat)[None, :], cat].sum(1) + num @ num_w
        cat_off = cat + field_off                                            # ids in the fused id space
        uniq.append(len(np.unique(cat_off)))
        ids_off = torch.from_numpy(np.ascontiguousarray(cat_off))
        wide = ids_off                                                       # wide rows = same offset ids ...
        if spec.cross_buckets:                                               # ... plus the cross bucket
            cross = hash_cross(cat[:, 0], cat[:, 1], spec.cross_buckets)
            logit = logit + cross_effect[cross]
            wide = torch.from_numpy(np.concatenate([cat_off, (spec.n_cat * spec.vocab + cross)[:, None]], axis=1))
        y, b = bernoulli_labels(rng, logit - logit.mean())
        bayes.append(b)
        batch = {"num": torch.from_numpy(num), "wide": wide, "y": torch.from_numpy(y[:, None])}
        pack_ids(batch, ids_off, cat, layout)
        batches.append(batch)
    return batches, float(np.mean(bayes)), float(np.mean(uniq))


# ----------------------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------------------

def mlp(in_dim, hidden):
    layers, d = [], in_dim
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU()]
        d = h
    layers.append(nn.Linear(d, 1))
    return nn.Sequential(*layers)


class DeepEmbeddings(nn.Module):
    """n_fields tables of vocab x dim, N(0, 0.01^2) init, sparse gradients.
    fused: one nn.Embedding over ids + f*vocab (same math: rows never shared, SparseAdam is row-wise and all
    fields step together); per_field_bag: one EmbeddingBag(mode=sum) per field, bags of one id;
    per_field_emb: one nn.Embedding per field."""

    def __init__(self, n_fields, vocab, dim, layout):
        super().__init__()
        self.layout, self.out_dim = layout, n_fields * dim
        if layout == "fused":
            self.table = nn.Embedding(n_fields * vocab, dim, sparse=True)
            nn.init.normal_(self.table.weight, 0.0, 0.01)
        else:
            cls = (lambda: nn.EmbeddingBag(vocab, dim, mode="sum", sparse=True)) if layout == "per_field_bag" \
                else (lambda: nn.Embedding(vocab, dim, sparse=True))
            self.tables = nn.ModuleList([cls() for _ in range(n_fields)])
            for t in self.tables:
                nn.init.normal_(t.weight, 0.0, 0.01)

    def forward(self, b):
        if self.layout == "fused":
            x = self.table(b["cat_off"])                    # [B, F, dim]
            return x.reshape(x.shape[0], self.out_dim)
        if self.layout == "per_field_bag":
            return torch.cat([t(c) for t, c in zip(self.tables, b["cat_cols"])], dim=1)
        return torch.cat([t(c).squeeze(1) for t, c in zip(self.tables, b["cat_cols"])], dim=1)


class Wide(nn.Module):
    """Linear model over one-hot ids: EmbeddingBag(rows, 1, mode='sum', sparse=True) over the offset ids of
    each row (every field + crosses) plus a scalar bias. Zero init (as linear/FTRL models start)."""

    def __init__(self, rows):
        super().__init__()
        self.w = nn.EmbeddingBag(rows, 1, mode="sum", sparse=True)
        nn.init.zeros_(self.w.weight)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, wide_ids):
        return self.w(wide_ids) + self.bias                # [B, 1]


class TabularWideDeep(nn.Module):
    def __init__(self, spec, layout):
        super().__init__()
        self.emb = DeepEmbeddings(spec.n_cat, spec.vocab, spec.emb_dim, layout)
        self.wide = Wide(spec.wide_rows)
        self.deep = mlp(spec.n_cat * spec.emb_dim + spec.n_num, spec.mlp)

    def forward(self, b):
        deep_in = torch.cat([self.emb(b), b["num"]], dim=1)
        return self.wide(b["wide"]) + self.deep(deep_in)   # joint logit [B, 1]

    def param_groups(self):
        return {"wide": list(self.wide.parameters()), "embeddings": list(self.emb.parameters()),
                "dense": list(self.deep.parameters())}


def make_optimizers(groups):
    """wide: Adagrad lr 0.05 (PyTorch has no FTRL-Proximal; Adagrad is the closest sparse-capable one),
    initial_accumulator_value 0.1 (TF's Adagrad/FTRL default), eps 1e-10.
    embeddings: SparseAdam (lazy Adam) lr 1e-3, betas (0.9, 0.999), eps 1e-8.
    dense (MLP, GRU): Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8."""
    return [
        torch.optim.Adagrad(groups["wide"], lr=0.05, initial_accumulator_value=0.1, eps=1e-10),
        torch.optim.SparseAdam(groups["embeddings"], lr=1e-3, betas=(0.9, 0.999), eps=1e-8),
        torch.optim.Adam(groups["dense"], lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                         foreach=ARGS.adam_foreach == "on"),
    ]


# ----------------------------------------------------------------------------------------------------------
# GRU case
# ----------------------------------------------------------------------------------------------------------

class GruSpec:
    name, batch, seq_len, item_vocab, item_dim, hidden = "gru", 512, 20, 10_000, 32, 64
    n_cat, vocab, emb_dim, n_num, mlp = 4, 1000, 8, 5, [128, 64]
    wide_rows = 4 * 1000


def make_gru_pool(spec, rng, pool, layout):
    """Sequences: length ~ U{1..20}; items ~ U{1..9999} at positions < length, 0 (padding) after.
    Teacher: logit = mean of item effects over valid positions + 0.5 * effect of the last item + cat + num."""
    item_effect = rng.normal(0.0, 1.0, size=spec.item_vocab)
    item_effect[0] = 0.0
    field_effect = rng.normal(0.0, 0.6, size=(spec.n_cat, spec.vocab))
    num_w = rng.normal(0.0, 0.5, size=spec.n_num)
    field_off = (np.arange(spec.n_cat, dtype=np.int64) * spec.vocab)[None, :]
    batches, bayes = [], []
    for _ in range(pool):
        lengths = rng.integers(1, spec.seq_len + 1, size=spec.batch, dtype=np.int64)
        seq = rng.integers(1, spec.item_vocab, size=(spec.batch, spec.seq_len), dtype=np.int64)
        seq[np.arange(spec.seq_len)[None, :] >= lengths[:, None]] = 0
        cat = rng.integers(1, spec.vocab, size=(spec.batch, spec.n_cat), dtype=np.int64)
        num = rng.standard_normal((spec.batch, spec.n_num)).astype(np.float32)
        last = seq[np.arange(spec.batch), lengths - 1]
        logit = (item_effect[seq].sum(1) / lengths + 0.5 * item_effect[last]
                 + field_effect[np.arange(spec.n_cat)[None, :], cat].sum(1) + num @ num_w)
        y, b = bernoulli_labels(rng, logit - logit.mean())
        bayes.append(b)
        ids_off = torch.from_numpy(np.ascontiguousarray(cat + field_off))
        batch = {
            "seq": torch.from_numpy(seq),                                                   # [B, T], 0 = pad
            "len": torch.from_numpy(lengths),                                               # [B]
            "last_idx": torch.from_numpy(lengths - 1).view(-1, 1, 1).expand(-1, 1, spec.hidden),  # [B,1,H] view
            "num": torch.from_numpy(num), "wide": ids_off, "y": torch.from_numpy(y[:, None]),
        }
        pack_ids(batch, ids_off, cat, layout)
        batches.append(batch)
    return batches, float(np.mean(bayes))


class GruWideDeep(nn.Module):
    def __init__(self, spec, layout, last_mode):
        super().__init__()
        self.last_mode = last_mode
        self.items = nn.Embedding(spec.item_vocab, spec.item_dim, padding_idx=0, sparse=True)
        nn.init.normal_(self.items.weight, 0.0, 0.01)
        with torch.no_grad():
            self.items.weight[0].zero_()
        self.gru = nn.GRU(spec.item_dim, spec.hidden, batch_first=True)
        self.emb = DeepEmbeddings(spec.n_cat, spec.vocab, spec.emb_dim, layout)
        self.wide = Wide(spec.wide_rows)
        self.deep = mlp(spec.hidden + spec.n_cat * spec.emb_dim + spec.n_num, spec.mlp)

    def seq_state(self, b):
        x = self.items(b["seq"])                             # [B, T, 32]
        if self.last_mode == "packed":
            packed = nn.utils.rnn.pack_padded_sequence(x, b["len"], batch_first=True, enforce_sorted=False)
            _, h = self.gru(packed)
            return h[0]                                      # [B, 64], last valid step of each sequence
        out, _ = self.gru(x)                                 # [B, T, 64]
        return out.gather(1, b["last_idx"]).squeeze(1)       # out[b, len_b - 1, :]

    def forward(self, b):
        deep_in = torch.cat([self.seq_state(b), self.emb(b), b["num"]], dim=1)
        return self.wide(b["wide"]) + self.deep(deep_in)

    def param_groups(self):
        return {"wide": list(self.wide.parameters()),
                "embeddings": [self.items.weight] + list(self.emb.parameters()),
                "dense": list(self.gru.parameters()) + list(self.deep.parameters())}


# ----------------------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------------------

def hidden_sizes(default):
    return [int(x) for x in ARGS.mlp.split(",")] if ARGS.mlp else default


def small_spec():
    return TabularSpec("small", ARGS.batch or 1024, 9, 1000, 8, 5, hidden_sizes([256, 128, 64]),
                       uniform_sampler(1000), cross_buckets=10_000)


ZIPF_EXPONENT = 1.1


def criteo_spec(default_mlp):
    return TabularSpec("criteo", ARGS.batch or 2048, 26, 100_000, 16, 13, hidden_sizes(default_mlp),
                       zipf_sampler(100_000, ZIPF_EXPONENT))


HOLDOUT_BATCHES = 4  # drawn after the pool from the same generator and teacher; never trained on


def build(case):
    rng = np.random.default_rng(ARGS.seed)
    torch.manual_seed(ARGS.seed)
    layout = ARGS.layout or "fused"
    if case == "gru":
        spec = GruSpec()
        if ARGS.batch:
            spec.batch = ARGS.batch
        spec.mlp = hidden_sizes(spec.mlp)
        pool, bayes = make_gru_pool(spec, rng, ARGS.pool + HOLDOUT_BATCHES, layout)
        RSS["after_data"] = current_rss_mb()
        model = GruWideDeep(spec, layout, ARGS.gru_last)
        info = {"seq_len": spec.seq_len, "item_vocab": spec.item_vocab, "item_dim": spec.item_dim,
                "gru_hidden": spec.hidden, "gru_last": ARGS.gru_last, "wide_rows": spec.wide_rows,
                "mean_len": float(np.mean([p["len"].float().mean().item() for p in pool]))}
    else:
        if case in ("small", "score"):
            spec = small_spec()
        else:
            spec = criteo_spec([256, 128, 64] if case == "criteo_small" else [1024, 512, 256])
        pool, bayes, uniq = make_tabular_pool(spec, rng, ARGS.pool + HOLDOUT_BATCHES, layout)
        RSS["after_data"] = current_rss_mb()
        model = TabularWideDeep(spec, layout)
        info = {"wide_rows": spec.wide_rows, "wide_ids_per_row": spec.wide_per_row, "unique_ids_per_batch": uniq}
        if spec.name == "criteo":
            info["zipf_exponent"] = ZIPF_EXPONENT
        if spec.cross_buckets:
            info["cross_buckets"] = spec.cross_buckets
    RSS["after_model"] = current_rss_mb()
    n_params = {k: sum(p.numel() for p in v) for k, v in model.param_groups().items()}
    info.update({"batch": spec.batch, "n_cat": spec.n_cat, "vocab": spec.vocab, "emb_dim": spec.emb_dim,
                 "n_num": spec.n_num, "mlp": spec.mlp, "layout": layout, "pool": ARGS.pool,
                 "params": n_params, "loss_bayes": bayes})
    return spec, model, pool[:ARGS.pool], pool[ARGS.pool:], info


def train_step(model, opts, b):
    loss = F.binary_cross_entropy_with_logits(model(b), b["y"])
    for o in opts:
        o.zero_grad(set_to_none=True)
    loss.backward()
    for o in opts:
        o.step()
    return loss.detach()


def holdout_loss(model, holdout):
    model.eval()
    with torch.no_grad():
        loss = sum(float(F.binary_cross_entropy_with_logits(model(b), b["y"])) for b in holdout) / len(holdout)
    model.train()
    return loss


def run_training(case, steps, warmup, repeats):
    spec, model, pool, holdout, info = build(case)
    model.train()
    opts = make_optimizers(model.param_groups())
    holdout_before = holdout_loss(model, holdout)
    losses, i = [], 0
    for _ in range(warmup):
        losses.append(train_step(model, opts, pool[i % len(pool)]))
        i += 1
    rates, step_times = [], []
    for r in range(repeats):
        gate(r)
        t_rep = time.perf_counter()
        for _ in range(steps):
            t0 = time.perf_counter()
            losses.append(train_step(model, opts, pool[i % len(pool)]))
            step_times.append(time.perf_counter() - t0)
            i += 1
        dt = time.perf_counter() - t_rep
        rates.append(steps * spec.batch / dt)
        log(f"{case} repeat {r + 1}/{repeats}: {rates[-1]:,.0f} samples/s")
    RSS["after_train"] = current_rss_mb()
    losses = [float(x) for x in losses]
    k = min(10, max(1, len(losses) // 4))
    out = {
        "samples_per_s": statistics.median(rates),
        "samples_per_s_all": rates,
        "step_ms_median": 1e3 * statistics.median(step_times),
        "step_ms_p90": 1e3 * sorted(step_times)[int(0.9 * (len(step_times) - 1))],
        "steps": steps, "warmup": warmup, "repeats": repeats, "total_train_steps": i,
        "loss_first": sum(losses[:k]) / k, "loss_last": sum(losses[-k:]) / k, "loss_avg_over": k,
        "holdout_loss_before": holdout_before, "holdout_loss_after": holdout_loss(model, holdout),
    }
    out.update(info)
    return out, model, opts


def optimizer_state_bytes(opt):
    total = 0
    for st in opt.state.values():
        for v in st.values():
            if torch.is_tensor(v):
                total += v.numel() * v.element_size()
    return total


def run_memory(steps, warmup, repeats):
    """The criteo model's parameters + optimizer state, counted from the tensors the optimizers really hold
    after training, and the process's RSS at each stage."""
    out, model, opts = run_training("criteo", steps, warmup, repeats)
    groups = model.param_groups()
    per_group, tot_p, tot_b = {}, 0, 0
    for (name, params), opt in zip(groups.items(), opts):
        n = sum(p.numel() for p in params)
        pb = sum(p.numel() * p.element_size() for p in params)
        sb = optimizer_state_bytes(opt)
        per_group[name] = {"optimizer": type(opt).__name__, "params": n, "param_bytes": pb,
                           "optimizer_state_bytes": sb, "bytes_per_param": (pb + sb) / n}
        tot_p, tot_b = tot_p + n, tot_b + pb + sb
    RSS["end"] = current_rss_mb()
    out.update({
        "groups": per_group, "params_total": tot_p, "param_and_state_bytes_total": tot_b,
        "bytes_per_param": tot_b / tot_p, "param_and_state_mb": tot_b / 2 ** 20,
        "note": "SparseAdam (exp_avg, exp_avg_sq) and Adagrad (sum) allocate dense state the full size of each "
                "table at their first step, although they read and write only touched rows; sparse gradients "
                "are transient (freed by zero_grad(set_to_none=True))",
    })
    return out


class _ScoreWrapper(nn.Module):
    """Tensor-argument front of the model, for torch.jit.trace."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, num, wide):
        b = {"num": num, "wide": wide}
        if self.model.emb.layout == "fused":
            b["cat_off"] = ids
        else:
            b["cat_cols"] = [c.contiguous() for c in ids.split(1, dim=1)]
        return self.model(b)


def _score_inputs(pool, layout, bs, n):
    """n pre-sliced contiguous inputs of batch bs (ids, num, wide), cut from the pool's batches."""
    out = []
    for j in range(n):
        b = pool[(j * bs // 1024) % len(pool)] if bs < 1024 else pool[j % len(pool)]
        s = (j * bs) % 1024 if bs < 1024 else 0
        ids = b["cat_off"] if layout == "fused" else torch.cat(b["cat_cols"], dim=1)
        out.append((ids[s:s + bs].contiguous(), b["num"][s:s + bs].contiguous(), b["wide"][s:s + bs].contiguous()))
    return out


def _time_calls(fn, inputs, calls, warmup, repeats, bs):
    for j in range(warmup):
        fn(*inputs[j % len(inputs)])
    lat, rates = [], []
    for _ in range(repeats):
        t_rep = time.perf_counter()
        for j in range(calls):
            t0 = time.perf_counter()
            fn(*inputs[j % len(inputs)])
            lat.append(time.perf_counter() - t0)
        rates.append(calls * bs / (time.perf_counter() - t_rep))
    lat.sort()
    return {"calls": calls, "repeats": repeats, "rows_per_s": statistics.median(rates), "rows_per_s_all": rates,
            "p50_us": 1e6 * lat[len(lat) // 2], "p99_us": 1e6 * lat[min(len(lat) - 1, int(0.99 * len(lat)))]}


def run_score(calls1, warmup, repeats):
    """Forward-only scoring of the small model (random init; the work does not depend on the weights):
    eval(), torch.inference_mode(), both as a traced + frozen TorchScript module (the deployment path, the
    faster one: reported as the result) and eager."""
    spec, model, pool, _, info = build("score")
    model.eval()
    layout = info["layout"]
    sizes = [(1, calls1), (200, max(50, calls1 // 4)), (1024, max(20, calls1 // 10))]
    eager = _ScoreWrapper(model).eval()
    results = {"torchscript": {}, "eager": {}}
    for bs, calls in sizes:
        inputs = _score_inputs(pool, layout, bs, min(1024, len(pool) * max(1, 1024 // bs)))
        with torch.no_grad():
            jit = torch.jit.freeze(torch.jit.trace(eager, inputs[0], check_trace=False))
        for mode, fn in (("torchscript", jit), ("eager", eager)):
            with torch.inference_mode():
                r = _time_calls(fn, inputs, calls, max(warmup, 50), repeats, bs)
            results[mode][str(bs)] = r
            log(f"score {mode} batch {bs}: {r['rows_per_s']:,.0f} rows/s, p50 {r['p50_us']:.1f} us, "
                f"p99 {r['p99_us']:.1f} us")
    top = results["torchscript"]["1024"]
    out = {"samples_per_s": top["rows_per_s"], "samples_per_s_all": top["rows_per_s_all"],
           "step_ms_median": top["p50_us"] / 1e3, "batches": results["torchscript"],
           "eager_batches": results["eager"], "mode": "torchscript (trace + freeze), inference_mode, eval"}
    out.update(info)
    return out


def main():
    RSS["after_import"] = current_rss_mb()
    case = ARGS.case
    d_steps, d_warm, d_rep = CASE_DEFAULTS[case]
    steps = ARGS.steps if ARGS.steps is not None else d_steps
    warmup = ARGS.warmup if ARGS.warmup is not None else d_warm
    repeats = ARGS.repeats if ARGS.repeats is not None else d_rep
    t0 = time.perf_counter()
    if case == "score":
        out = run_score(steps, warmup, repeats)
    elif case == "memory":
        out = run_memory(steps, warmup, repeats)
    else:
        out, _, _ = run_training(case, steps, warmup, repeats)
    RSS.setdefault("end", current_rss_mb())
    result = {"case": case}
    result.update(out)
    result.update({
        "peak_rss_mb": peak_rss_mb(), "rss_mb": RSS, "wall_s": time.perf_counter() - t0,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "seed": ARGS.seed,
        **BLAS, "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "adam_foreach": ARGS.adam_foreach == "on", "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    })
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
