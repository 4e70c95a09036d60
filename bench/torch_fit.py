#!/usr/bin/python3
"""PyTorch peer of `widedeep fit` for the end-to-end benchmark of issue 4.

Trains the same Wide & Deep setups as examples/adult.yaml and examples/movielens.yaml, end to end from the
raw files (own preprocessing in plain Python + numpy: Debian's python has no pandas), and prints ONE JSON
line on stdout (progress goes to stderr):

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_fit.py --dataset adult [--seed 42] [--data-dir D]

    {"dataset", "rows_per_s", "wall_s", "test_auc", "test_accuracy", "peak_rss_mb", ...}

rows_per_s is the training throughput: training rows processed / seconds spent in the training loops of all
epochs run (validation scoring between epochs excluded, as in widedeep's per-epoch rows/s). wall_s runs from
the first line of this script (before `import torch`) to the end of test scoring.

Same setup as the widedeep configs, as far as PyTorch has it:
- the same columns, bucket boundaries, crosses (wide), embedding dimensions (the explicit ones, and
  widedeep's automatic rule round(6 * tableSize^0.25) for the others), numeric transforms, label;
- the same split: Adult trains on adult.data and tests on adult.test, MovieLens splits per user by
  (timestamp, item_id) with the last floor(n_u / 5) ratings as test; then 10% of the training rows are held
  out at random for validation, early stopping on validation AUC (validation log loss for the binary
  MovieLens model, `--stop-on`; patience 2, best epoch restored);
- the same epochs (at most 30), batch size (256), seeded shuffling every epoch, the same MLP (Adult [100, 50],
  MovieLens [256] with dropout 0.5; ReLU, Xavier-uniform), Xavier-uniform embeddings, joint logit = wide +
  deep + bias, sigmoid cross-entropy;
- optimizers: Adam for the MLP and bias, SparseAdam (lazy Adam) for the embeddings, both at the config's lr
  (Adult 1e-3, MovieLens 2e-3),
  and for the wide part **Adagrad** (PyTorch has no FTRL-Proximal; widedeep uses FTRL there) on a sparse
  EmbeddingBag(dim 1), lr chosen on the validation split (--wide-lr).
- MovieLens, as the examples' `train.refit: true`: after early stopping, a fresh model (same seed) is trained
  on all training rows (train + validation, features refitted on them) for the best epoch's count of
  epochs, and that model is scored on test (`--no-refit` turns it off). rows_per_s counts both trainings.
- MovieLens, as the examples' `train.ema: { decay: 0.999 }`: an exponential moving average of every weight
  (torch.optim.swa_utils.AveragedModel with an EMA avg_fn, updated after every step from the initial
  weights on), validation scores the averages, and the final model (of the best epoch, and of the refit)
  takes them as its weights (`--no-ema` turns it off, `--ema D` sets the decay).
- MovieLens (binary), as the example's `train.recencyWeight: { strength: 2 }`: every training row's loss is
  weighted by 1 + 2p, p its place in its user's rows that train (0 earliest, 1 latest, by timestamp then item
  id), scaled to mean 1; the batch loss is the mean of weight x loss (`--no-recency` turns it off,
  `--recency exponential:2` picks another scheme).
- `--objective rating` (MovieLens): the setup of examples/movielens-rating.yaml: the same model fitted to the
  raw rating with MSE, its output scored against rating >= 4 (AUC, NDCG@10; no accuracy).
Differences: categorical columns that widedeep hashes (Adult occupation / native_country) and the hashed
crosses get exact vocabularies here (no collisions; fitted on the training rows, unseen values -> id 0, as
widedeep's vocabularies).

PyTorch at its best: 2 threads (torch.set_num_threads, OPENBLAS_NUM_THREADS), OpenBLAS preloaded the way
bench/torch_engine.py does it (bench/torch_blas.py: Debian's torch links libblas.so.3, the ~50x slower reference
BLAS unless OpenBLAS is there), sparse embedding gradients, one fused embedding table per embedding width,
padded id matrices sliced per batch (no Python loop over rows), zero_grad(set_to_none=True), inference_mode
for scoring.
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402



# ----------------------------------------------------------------------------------------------------------
# BLAS selection, as in bench/torch_engine.py (see bench/README.md, "BLAS"). Runs before numpy / torch load.
# ----------------------------------------------------------------------------------------------------------
import torch_blas  # noqa: E402  (bench/torch_blas.py: OpenBLAS selection, before numpy / torch)

torch_blas.TAG = "[torch_fit]"


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True, choices=["adult", "movielens"])
    ap.add_argument("--data-dir", default=os.environ.get("WIDEDEEP_DATA_DIR") or
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--patience", type=int, default=2)
    ap.add_argument("--validation-fraction", type=float, default=0.1)
    ap.add_argument("--wide-lr", type=float, help="Adagrad lr of the wide part (default: per dataset, below)")
    ap.add_argument("--kind", choices=["wide", "deep", "wide_deep"], default="wide_deep")
    ap.add_argument("--no-refit", action="store_true", help="MovieLens: do not refit on all training rows")
    ap.add_argument("--objective", choices=["binary", "rating"], default="binary",
                    help="rating (movielens): MSE on the raw rating, scored against rating >= 4 "
                         "(examples/movielens-rating.yaml)")
    ap.add_argument("--dropout", type=float, help="override the config's MLP dropout (diagnostics)")
    ap.add_argument("--ema", type=float, help="weight-average decay (default: the config's train.ema, below)")
    ap.add_argument("--no-ema", action="store_true", help="train without weight averages")
    ap.add_argument("--stop-on", choices=["auc", "logloss"], help="early stopping's validation metric (default: the config's)")
    ap.add_argument("--recency", help="MovieLens: train.recencyWeight as SCHEME:STRENGTH, e.g. linear:2 or exponential:2 "
                    "(default: the config's, below)")
    ap.add_argument("--no-recency", action="store_true", help="train without recency weights")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blas", default="auto", help="auto (default), system, or a dir holding OpenBLAS's libblas.so.3")
    ap.add_argument("--hide-test", action="store_true", help="tuning: report validation metrics only")
    return ap.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
torch, BLAS = torch_blas.import_torch("torch_fit", ARGS.threads, ARGS.blas)

import numpy as np  # noqa: E402  (after the BLAS preload on purpose)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.optim.swa_utils import AveragedModel  # noqa: E402

# The deep part and learning rates of each config (examples/adult.yaml, examples/movielens.yaml). wide_lr:
# Adagrad lr of the wide part, chosen here on the validation split (seeds 1-3) from {0.01, 0.03, 0.1, 0.3}.
SETUP = {
    "adult": {"hidden": (100, 50), "dropout": 0.0, "lr": 1e-3, "wide_lr": 0.1, "refit": False, "ema": None, "stop_on": "auc",
              "recency": None},
    "movielens": {"hidden": (256,), "dropout": 0.5, "lr": 2e-3, "wide_lr": 0.01, "refit": True, "ema": 0.999, "stop_on": "logloss",
                  "recency": "linear:2"},
}


def log(msg):
    print(f"[torch_fit] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------------
# Columns. A table is a dict of column name -> list (strings / None) or float64 array. Each feature below
# turns columns into a padded int64 id matrix [rows, width] (pad = -1) plus its table size; id 0 = missing
# or out of vocabulary, as in widedeep.
# ----------------------------------------------------------------------------------------------------------

def auto_dim(table_size):
    return max(1, min(64, int(math.floor(6 * table_size ** 0.25 + 0.5))))


class Categorical:
    def __init__(self, name, source=None, dim=None, feeds=("wide", "deep"), values=None):
        self.name, self.source, self.dim, self.feeds, self.values = name, source or name, dim, feeds, values
        self.multi = False

    def raw(self, cols):  # one value per row (None = missing)
        return [[v] if v is not None else [] for v in cols[self.source]]

    def fit(self, cols):
        if self.values is not None:
            vocab = list(self.values)
        else:
            counts = {}
            for vs in self.raw(cols):
                for v in vs:
                    counts[v] = counts.get(v, 0) + 1
            vocab = sorted(counts, key=lambda v: (-counts[v], v))
        self.index = {v: i + 1 for i, v in enumerate(vocab)}
        self.size = len(vocab) + 1

    def ids(self, cols):
        return pad_rows([[self.index.get(v, 0) for v in vs] for vs in self.raw(cols)], self.multi)


class MultiValued(Categorical):
    def __init__(self, name, source=None, dim=None, feeds=("deep",), pooling="mean"):
        super().__init__(name, source, dim, feeds)
        self.multi, self.pooling = True, pooling

    def raw(self, cols):
        return [list(v) if v else [] for v in cols[self.source]]


class Bucketized(Categorical):
    def __init__(self, name, source, boundaries, dim=None, feeds=("wide",)):
        super().__init__(name, source, dim, feeds)
        self.boundaries = np.asarray(boundaries, dtype=np.float64)

    def raw(self, cols):
        x = cols[self.source]
        b = np.searchsorted(self.boundaries, x, side="right") + 1
        return [[str(int(k))] if not math.isnan(v) else [] for k, v in zip(b, x)]

    def fit(self, cols):
        self.index = {str(k): k for k in range(1, len(self.boundaries) + 2)}
        self.size = len(self.boundaries) + 2


class Crossed(Categorical):
    """Cartesian product of the components' values (a bag when a component is multi-valued); exact
    vocabulary of the tuples seen in training."""

    def __init__(self, name, components, feeds=("wide",)):
        super().__init__(name, None, None, feeds)
        self.components = components

    def bind(self, by_name):
        self.parts = [by_name[c] for c in self.components]
        self.multi = any(p.multi for p in self.parts)

    def raw(self, cols):
        lists = [p.raw(cols) for p in self.parts]
        out = []
        for row in zip(*lists):
            tuples = [()]
            for vs in row:
                tuples = [t + (v,) for t in tuples for v in vs]
            out.append(tuples)
        return out


class Numeric:
    feeds = ("deep",)

    def __init__(self, name, log1p=False):
        self.name, self.log1p = name, log1p

    def values(self, cols):
        x = np.asarray(cols[self.name], dtype=np.float64)
        return np.log1p(x) if self.log1p else x

    def fit(self, cols):
        x = self.values(cols)
        self.mean, self.std = float(x.mean()), float(x.std()) or 1.0

    def dense(self, cols):
        return ((self.values(cols) - self.mean) / self.std).astype(np.float32)


def pad_rows(rows, multi):
    if not multi:
        return np.array([r[0] if r else 0 for r in rows], dtype=np.int64)[:, None]
    width = max(1, max(len(r) for r in rows))
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


# ----------------------------------------------------------------------------------------------------------
# Datasets: raw files -> column dicts, with the splits of widedeep's loaders.
# ----------------------------------------------------------------------------------------------------------

ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
                 "relationship", "race", "gender", "capital_gain", "capital_loss", "hours_per_week",
                 "native_country", "income_bracket"]
ADULT_NUMERIC = {"age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"}


def read_adult(path):
    rows = []
    with open(path, newline="") as f:
        for rec in csv.reader(f, skipinitialspace=True):
            if len(rec) != len(ADULT_COLUMNS):  # blank lines, adult.test's "|1x3 Cross validator" line
                continue
            rows.append(rec)
    cols = {}
    for j, name in enumerate(ADULT_COLUMNS):
        vals = [r[j] for r in rows]
        if name in ADULT_NUMERIC:
            cols[name] = np.array([float(v) for v in vals])
        else:
            cols[name] = [None if v in ("?", "") else v for v in vals]
    cols["label"] = np.array([1.0 if v.startswith(">50K") else 0.0 for v in cols["income_bracket"]], dtype=np.float32)
    return cols


def adult_data(d):
    return read_adult(os.path.join(d, "adult", "adult.data")), read_adult(os.path.join(d, "adult", "adult.test")), None


def adult_features():
    """examples/adult.yaml"""
    return [
        Categorical("gender", values=["Female", "Male"]),
        Categorical("race"),
        Categorical("education", dim=8),
        Categorical("marital_status"),
        Categorical("relationship", dim=8),
        Categorical("workclass", dim=8),
        Categorical("occupation", dim=8),
        Categorical("native_country", dim=8),
        Bucketized("age_buckets", "age", [18, 25, 30, 35, 40, 45, 50, 55, 60, 65], dim=8, feeds=("wide", "deep")),
        Bucketized("capital_gain_buckets", "capital_gain",
                   [1, 2000, 3000, 4000, 5000, 6000, 7000, 7500, 8000, 10000, 15000, 20000, 50000], dim=8,
                   feeds=("wide", "deep")),
        Bucketized("capital_loss_buckets", "capital_loss", [1, 1500, 1700, 1800, 1900, 2000, 2200, 2500, 3000],
                   dim=8, feeds=("wide", "deep")),
        Bucketized("hours_buckets", "hours_per_week", [20, 30, 35, 40, 41, 45, 50, 60], dim=8,
                   feeds=("wide", "deep")),
        Crossed("education_x_occupation", ["education", "occupation"]),
        Crossed("age_x_education_x_occupation", ["age_buckets", "education", "occupation"]),
        Crossed("native_country_x_occupation", ["native_country", "occupation"]),
        Crossed("age_x_hours", ["age_buckets", "hours_buckets"]),
        Crossed("education_x_marital", ["education", "marital_status"]),
        Crossed("occupation_x_workclass", ["occupation", "workclass"]),
        Crossed("age_x_marital_x_gender", ["age_buckets", "marital_status", "gender"]),
        Numeric("age"),
        Numeric("education_num"),
        Numeric("capital_gain", log1p=True),
        Numeric("capital_loss", log1p=True),
        Numeric("hours_per_week"),
    ]


def movielens_data(d):
    base = os.path.join(d, "ml-100k")
    with open(os.path.join(base, "u.genre"), encoding="latin-1") as f:
        genres = [line.split("|")[0] for line in f if line.strip()]
    users = {}
    with open(os.path.join(base, "u.user"), encoding="latin-1") as f:
        for line in f:
            u, age, gender, occ, zipc = line.rstrip("\n").split("|")
            users[u] = (float(age), gender, occ, zipc)
    items = {}
    with open(os.path.join(base, "u.item"), encoding="latin-1") as f:
        for line in f:
            p = line.rstrip("\n").split("|")
            date = p[2]
            year = float(date[-4:]) if re.search(r"\d{4}$", date) else float("nan")
            items[p[0]] = (year, [g for g, flag in zip(genres, p[5:5 + len(genres)]) if flag == "1"])
    ratings = []
    with open(os.path.join(base, "u.data")) as f:
        for line in f:
            u, i, r, t = line.split("\t")
            ratings.append((u, i, float(r), float(t)))
    by_user = {}
    for k, (u, i, _, t) in enumerate(ratings):
        by_user.setdefault(u, []).append(k)
    test_rows = set()
    for rows in by_user.values():
        rows.sort(key=lambda k: (ratings[k][3], int(ratings[k][1]), k))
        n_test = len(rows) // 5
        test_rows.update(rows[len(rows) - n_test:])

    def table(keep):
        rs = [ratings[k] for k in keep]
        return {
            "user_id": [r[0] for r in rs],
            "item_id": [r[1] for r in rs],
            "age": np.array([users[r[0]][0] for r in rs]),
            "gender": [users[r[0]][1] for r in rs],
            "occupation": [users[r[0]][2] for r in rs],
            "zip_prefix": [users[r[0]][3][:3] for r in rs],
            "release_year": np.array([items[r[1]][0] for r in rs]),
            "genres": [items[r[1]][1] for r in rs],
            "label": np.array([1.0 if r[2] >= 4 else 0.0 for r in rs], dtype=np.float32),
            "target": np.array([r[2] for r in rs], dtype=np.float32),
            "timestamp": np.array([r[3] for r in rs]),
        }
    train = [k for k in range(len(ratings)) if k not in test_rows]
    test = sorted(test_rows)
    return table(train), table(test), "user_id"


def movielens_features():
    """examples/movielens.yaml"""
    return [
        Categorical("user_id", dim=16),
        Categorical("item_id", dim=16),
        Bucketized("age_bucket", "age", [18, 25, 35, 45, 50, 56], dim=4, feeds=("wide", "deep")),
        Categorical("gender", values=["F", "M"]),
        Categorical("occupation"),
        Categorical("zip_prefix", dim=8),
        Bucketized("release_year_bucket", "release_year",
                   [1930, 1940, 1950, 1960, 1970, 1980, 1985, 1990, 1993, 1995, 1996, 1997, 1998], dim=4,
                   feeds=("wide", "deep")),
        MultiValued("genres", dim=8, feeds=("wide", "deep"), pooling="mean"),
        Crossed("gender_x_genre", ["gender", "genres"]),
        Crossed("occupation_x_genre", ["occupation", "genres"]),
        Crossed("age_x_genre", ["age_bucket", "genres"]),
        Crossed("user_x_genre", ["user_id", "genres"]),
    ]


DATASETS = {"adult": (adult_data, adult_features), "movielens": (movielens_data, movielens_features)}


def take(cols, idx):
    return {k: (v[idx] if isinstance(v, np.ndarray) else [v[i] for i in idx]) for k, v in cols.items()}


# ----------------------------------------------------------------------------------------------------------
# Encoded tensors and the model.
# ----------------------------------------------------------------------------------------------------------

class Encoded:
    """All inputs of a split as tensors: wide ids [n, Lw] (pad = wide_pad), deep single-valued ids per
    embedding width [n, fields] (offset into that width's fused table), deep bags [n, L] (pad = table size),
    dense [n, d], labels [n]."""

    def __init__(self, feats, layout, cols, weights=None):
        wide = []
        for f, off in layout.wide:
            m = f.ids(cols)
            wide.append(np.where(m >= 0, m + off, layout.wide_pad))
        self.wide = torch.from_numpy(np.concatenate(wide, axis=1))
        self.single = {dim: torch.from_numpy(np.concatenate([f.ids(cols) + off for f, off in fs], axis=1))
                       for dim, fs in layout.single.items()}
        self.bags = [torch.from_numpy(np.where((m := f.ids(cols)) >= 0, m, f.size)) for f in layout.bags]
        nums = [f.dense(cols) for f in feats if isinstance(f, Numeric)]
        n = len(cols["label"])
        self.dense = torch.from_numpy(np.stack(nums, axis=1) if nums else np.zeros((n, 0), np.float32))
        self.label = torch.from_numpy(cols["label"])
        # What the loss fits: the 0/1 label, or the raw rating under --objective rating.
        self.target = torch.from_numpy(cols["target"]) if ARGS.objective == "rating" else self.label
        # Per-example loss weights (train.recencyWeight), or None.
        self.weight = None if weights is None else torch.from_numpy(weights)
        self.n = n

    def batch(self, idx):
        return (self.wide[idx], {d: t[idx] for d, t in self.single.items()}, [b[idx] for b in self.bags],
                self.dense[idx], self.target[idx], None if self.weight is None else self.weight[idx])


def recency_weights(cols, recency):
    """As widedeep's train.recencyWeight: p = rank j / (n_u - 1) of a row among its user's rows in `cols` in
    (timestamp, item id) order (a lone row: 1); linear w = 1 + s * p, exponential w = 2^(-s * (1 - p));
    scaled to mean 1 over the rows. None without recency weights (or without timestamps)."""
    if recency is None or "timestamp" not in cols:
        return None
    scheme, strength = recency.split(":")
    strength = float(strength)
    n = len(cols["label"])
    by_user = {}
    for k in range(n):
        by_user.setdefault(cols["user_id"][k], []).append(k)
    w = np.ones(n)
    for rows in by_user.values():
        rows.sort(key=lambda k: (cols["timestamp"][k], int(cols["item_id"][k]), k))
        m = len(rows)
        for j, k in enumerate(rows):
            p = j / (m - 1) if m > 1 else 1.0
            w[k] = 1 + strength * p if scheme == "linear" else 2.0 ** (-strength * (1 - p))
    return (w / w.mean()).astype(np.float32)


class Layout:
    def __init__(self, feats):
        cat = [f for f in feats if not isinstance(f, Numeric)]
        self.wide, off = [], 0
        for f in cat:
            if "wide" in f.feeds:
                self.wide.append((f, off))
                off += f.size
        self.wide_pad, self.wide_size = off, off + 1
        self.single, self.single_size, self.bags = {}, {}, []
        for f in cat:
            if "deep" not in f.feeds:
                continue
            f.dim = f.dim or auto_dim(f.size)
            if f.multi:
                self.bags.append(f)
            else:
                o = self.single_size.get(f.dim, 0)
                self.single.setdefault(f.dim, []).append((f, o))
                self.single_size[f.dim] = o + f.size
        self.n_dense = sum(1 for f in feats if isinstance(f, Numeric))


class WideDeep(nn.Module):
    def __init__(self, layout, kind, hidden, dropout):
        super().__init__()
        self.kind = kind
        self.wide = nn.EmbeddingBag(layout.wide_size, 1, mode="sum", sparse=True, padding_idx=layout.wide_pad)
        nn.init.zeros_(self.wide.weight)
        self.tables = nn.ModuleDict({str(d): nn.Embedding(n, d, sparse=True) for d, n in layout.single_size.items()})
        self.bags = nn.ModuleList([nn.EmbeddingBag(f.size + 1, f.dim, mode=f.pooling, sparse=True, padding_idx=f.size)
                                   for f in layout.bags])
        for t in list(self.tables.values()) + list(self.bags):
            nn.init.xavier_uniform_(t.weight)
            if getattr(t, "padding_idx", None) is not None:
                with torch.no_grad():
                    t.weight[t.padding_idx].zero_()
        width = sum(d * len(fs) for d, fs in layout.single.items()) + sum(f.dim for f in layout.bags) + layout.n_dense
        layers = []
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout > 0 else [])
            width = h
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, wide, single, bags, dense):
        logit = self.bias.expand(wide.shape[0])
        if self.kind != "deep":
            logit = logit + self.wide(wide).squeeze(1)
        if self.kind != "wide":
            parts = [self.tables[str(d)](ids).flatten(1) for d, ids in single.items()]
            parts += [bag(ids) for bag, ids in zip(self.bags, bags)]
            parts.append(dense)
            logit = logit + self.mlp(torch.cat(parts, dim=1)).squeeze(1)
        return logit


# ----------------------------------------------------------------------------------------------------------
# Metrics: exact AUC with ties (average ranks), accuracy at 0.5, per-user NDCG@10 / HitRate@10 as in
# src/metrics/ranking.ts (users without a positive left out; ties by input order).
# ----------------------------------------------------------------------------------------------------------

def auc(y, p):
    order = np.argsort(p, kind="mergesort")
    _, inv, counts = np.unique(p[order], return_inverse=True, return_counts=True)
    avg_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = np.empty(len(p))
    ranks[order] = avg_rank[inv]
    npos = float(y.sum())
    nneg = len(y) - npos
    return float((ranks[y == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def ranking(y, p, users, k=10):
    groups = {}
    for i, u in enumerate(users):
        groups.setdefault(u, []).append(i)
    ndcg = hit = 0.0
    counted = 0
    for rows in groups.values():
        rows = np.array(rows)
        rel = y[rows]
        if rel.sum() == 0:
            continue
        counted += 1
        top = rel[np.argsort(-p[rows], kind="stable")][:k]
        dcg = float((top / np.log2(np.arange(2, len(top) + 2))).sum())
        idcg = float((1.0 / np.log2(np.arange(2, min(int(rel.sum()), k) + 2))).sum())
        ndcg += dcg / idcg
        hit += float(top.sum() > 0)
    return ndcg / counted, hit / counted


def rounded(x):
    return None if x is None else round(x, 5)


def evaluate(model, enc, users=None):
    model.eval()
    out = []
    with torch.inference_mode():
        for s in range(0, enc.n, 4096):
            w, si, b, d, _, _ = enc.batch(slice(s, s + 4096))
            logit = model(w, si, b, d)
            out.append((logit if ARGS.objective == "rating" else torch.sigmoid(logit)).numpy())
    model.train()
    p = np.concatenate(out).astype(np.float64)
    y = enc.label.numpy().astype(np.float64)
    if ARGS.objective == "rating":  # predicted ratings: only the ranking metrics apply
        m = {"auc": auc(y, p), "accuracy": None}
    else:
        m = {"auc": auc(y, p), "accuracy": float(((p >= 0.5) == (y == 1)).mean()),
             "logloss": float(-np.mean(y * np.log(np.clip(p, 1e-7, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-7, 1))))}
    if users is not None:
        m["ndcg@10"], m["hitRate@10"] = ranking(y, p, users)
    return m


# ----------------------------------------------------------------------------------------------------------

def main():
    torch.manual_seed(ARGS.seed)
    rng = np.random.default_rng(ARGS.seed)
    load, features = DATASETS[ARGS.dataset]
    train_all, test_cols, user_col = load(ARGS.data_dir)
    n_all = len(train_all["label"])
    perm = rng.permutation(n_all)
    n_val = int(round(n_all * ARGS.validation_fraction))
    val_cols, train_cols = take(train_all, np.sort(perm[:n_val])), take(train_all, np.sort(perm[n_val:]))

    feats = features()
    by_name = {f.name: f for f in feats}
    for f in feats:
        if isinstance(f, Crossed):
            f.bind(by_name)
    explicit_dims = {f.name: getattr(f, "dim", None) for f in feats}
    setup = SETUP[ARGS.dataset]
    dropout = ARGS.dropout if ARGS.dropout is not None else setup["dropout"]
    wide_lr = ARGS.wide_lr if ARGS.wide_lr is not None else setup["wide_lr"]
    ema = None if ARGS.no_ema else (ARGS.ema if ARGS.ema is not None else setup["ema"])
    # Early stopping's metric, as the config's train.earlyStopping: validation log loss (lower is better) for the
    # binary MovieLens model, AUC otherwise (a regression on the rating has no log loss).
    stop_on = ARGS.stop_on or ("auc" if ARGS.objective == "rating" else setup["stop_on"])
    # Recency weights, as the binary config's train.recencyWeight (the rating config has none).
    recency = None if ARGS.no_recency else (ARGS.recency or (None if ARGS.objective == "rating" else setup["recency"]))

    def better(v, best):
        return v["logloss"] < best["logloss"] if stop_on == "logloss" else v["auc"] > best["auc"]

    def fit_features(cols):
        """Vocabularies fitted on `cols`, automatic embedding widths from the fitted sizes."""
        for f in feats:
            if hasattr(f, "dim"):
                f.dim = explicit_dims[f.name]
            f.fit(cols)
        return Layout(feats)

    def fresh_model(layout):
        torch.manual_seed(ARGS.seed)
        model = WideDeep(layout, ARGS.kind, setup["hidden"], dropout)
        opts = [torch.optim.Adagrad([model.wide.weight], lr=wide_lr, initial_accumulator_value=0.1),
                torch.optim.SparseAdam(list(model.tables.parameters()) + list(model.bags.parameters()), lr=setup["lr"]),
                torch.optim.Adam(list(model.mlp.parameters()) + [model.bias], lr=setup["lr"])]
        return model, opts

    timing = {"rows": 0, "s": 0.0}

    def run_epochs(model, opts, enc, epochs, validation=None):
        """Trains up to `epochs` epochs (early stopping on `validation` when given); returns (best, epochs run).
        With weight averages (train.ema) validation scores the averaged model, and the model is left with the
        averaged weights (of the best epoch), as widedeep does."""
        best, best_state, best_epoch, stale, run = None, None, 0, 0, 0
        gen = torch.Generator().manual_seed(ARGS.seed)
        averaged = None
        if ema is not None:
            averaged = AveragedModel(model, avg_fn=lambda avg, w, n: ema * avg + (1 - ema) * w)
            averaged.update_parameters(model)  # the first call copies: the averages start at the initial weights
        scored = averaged.module if averaged is not None else model
        for epoch in range(epochs):
            t0 = time.perf_counter()
            order = torch.randperm(enc.n, generator=gen)
            loss_sum = 0.0
            for s in range(0, enc.n, ARGS.batch):
                w, si, b, d, y, ew = enc.batch(order[s:s + ARGS.batch])
                out = model(w, si, b, d)
                per = F.mse_loss(out, y, reduction="none") if ARGS.objective == "rating" else F.binary_cross_entropy_with_logits(out, y, reduction="none")
                # As widedeep: the batch's mean of weight x loss.
                loss = (per * ew).mean() if ew is not None else per.mean()
                for o in opts:
                    o.zero_grad(set_to_none=True)
                loss.backward()
                for o in opts:
                    o.step()
                if averaged is not None:
                    averaged.update_parameters(model)
                loss_sum += float(loss) * len(y)
            dt = time.perf_counter() - t0
            timing["s"] += dt
            timing["rows"] += enc.n
            run += 1
            if validation is None:
                log(f"refit epoch {epoch + 1}: loss {loss_sum / enc.n:.4f} {enc.n / dt:,.0f} rows/s")
                continue
            v = evaluate(scored, validation)
            log(f"epoch {epoch + 1}: loss {loss_sum / enc.n:.4f} {enc.n / dt:,.0f} rows/s val auc {v['auc']:.4f} "
                f"acc {rounded(v['accuracy'])}")
            if best is None or better(v, best):
                best, best_state, best_epoch, stale = v, {k: t.clone() for k, t in scored.state_dict().items()}, epoch + 1, 0
            else:
                stale += 1
                if stale > ARGS.patience:
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
        elif averaged is not None:
            model.load_state_dict(averaged.module.state_dict())
        return best, best_epoch, run

    layout = fit_features(train_cols)
    tr = Encoded(feats, layout, train_cols, recency_weights(train_cols, recency))
    va, te = (Encoded(feats, layout, c) for c in (val_cols, test_cols))
    t_prep = time.perf_counter() - T_START
    log(f"{ARGS.dataset}: train {tr.n}, validation {va.n}, test {te.n} rows; wide size {layout.wide_size}; "
        f"prep {t_prep:.2f}s (incl. imports); blas {BLAS['blas']} {BLAS['blas_core']}")
    model, opts = fresh_model(layout)
    best, best_epoch, epochs_run = run_epochs(model, opts, tr, ARGS.epochs, va)
    refit = None
    if setup["refit"] and not ARGS.no_refit:
        # As widedeep's train.refit: features refitted on all training rows, a fresh model with the same seed,
        # the best epoch's count of epochs.
        layout = fit_features(train_all)
        every, te = Encoded(feats, layout, train_all, recency_weights(train_all, recency)), Encoded(feats, layout, test_cols)
        model, opts = fresh_model(layout)
        run_epochs(model, opts, every, best_epoch)
        refit = {"epochs": best_epoch, "rows": every.n}
    train_rows, train_s = timing["rows"], timing["s"]
    result = {"dataset": ARGS.dataset, "kind": ARGS.kind, "objective": ARGS.objective, "seed": ARGS.seed,
              "rows_per_s": round(train_rows / train_s, 1), "train_s": round(train_s, 3), "epochs": epochs_run,
              "validation_auc": round(best["auc"], 5), "validation_accuracy": rounded(best["accuracy"]), "refit": refit,
              "ema": ema, "stop_on": stop_on, "recency": recency}
    if not ARGS.hide_test:
        t = evaluate(model, te, test_cols[user_col] if user_col else None)
        result.update({"test_auc": round(t["auc"], 5), "test_accuracy": rounded(t["accuracy"])})
        if user_col:
            result.update({"test_ndcg@10": round(t["ndcg@10"], 5), "test_hitRate@10": round(t["hitRate@10"], 5)})
    result.update({"wall_s": round(time.perf_counter() - T_START, 3),
                   "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
                   "threads": torch.get_num_threads(), **BLAS,
                   "torch": torch.__version__, "wide_optimizer": f"adagrad lr {wide_lr} (no FTRL in PyTorch)"})
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
