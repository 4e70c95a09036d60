"""The PyTorch serving peers' shared part (bench/torch_serve.py: http.server; bench/torch_serve_fastapi.py:
FastAPI + uvicorn): a widedeep model bundle read into a serving transform written in Python and a Wide & Deep
nn.Module of the same shape, scored under torch.inference_mode. Both peers serve the same bundle the same way,
so that only the HTTP stack differs between them.

    import torch_blas; torch, blas = torch_blas.import_torch(...)   # first: OpenBLAS on its best kernel
    import torch_serve_model; scorer = torch_serve_model.Scorer(bundle_dir, jit=True)
    scorer.predict(rows) -> [p, ...]

Reads the bundle's manifest.json (widedeep's fitted feature spec and model sizes; docs/BUNDLE.md) and builds:
- the serving transform, column type by column type: vocabularies as dicts (unknown -> 0), hashed columns and
  crosses through zlib.crc32 of the UTF-8 value (crosses: the component values joined; a multi-valued
  component makes one id per value, as in widedeep), bucketized columns by bisect, standardized numerics;
- the model: one EmbeddingBag (dim 1, sum) over every wide key laid end to end plus a bias for the wide logit,
  one EmbeddingBag per embedded key (its pooling), the concatenation with the numerics through the MLP of the
  manifest (ReLU), one logit, sigmoid. Weights are random: the work of a request does not depend on them.
  With `jit`, the module is torch.jit.trace'd and torch.jit.freeze'd (PyTorch's deployment path; the engine
  peer measured it twice as fast at batch 1), checked against the eager module on a sample before use.
Import it only after torch_blas.import_torch (it imports torch).
"""
import bisect
import json
import math
import os
import zlib

import torch
from torch import nn


# Hashed ids are cached per column (token -> id): requests repeat the same users, apps and crosses, and a dict
# lookup is cheaper than encoding and hashing the token again. Bounded: a cache is emptied past this size.
HASH_CACHE_MAX = 1 << 20


class Column:
    """Encodes one column of the spec for a whole request at once (column by column, not row by row): a list
    per row of ids for a sparse column, a float per row for a numeric one. `memo` (a dict per request) keeps
    the token and id lists already made, since crosses and both model parts reuse them."""

    def __init__(self, c, by_name):
        self.c = c
        self.name = c["name"]
        self.type = c["type"]
        self.source = c.get("source")
        enc = c.get("encoding") or {}
        self.vocab = {v: i + 1 for i, v in enumerate(enc.get("values", []))} if enc.get("kind") == "vocabulary" else None
        self.buckets = enc.get("numBuckets")
        self.by_name = by_name
        self.cache = {}

    def tokens(self, rows, memo):
        """The column's raw values of each row as strings (a list per row: one for scalars, several for
        multi-valued, none for missing); a cross joins its components' values with NUL, one per combination."""
        key = ("t", self.name)
        if key in memo:
            return memo[key]
        if self.type == "crossed":
            parts = [self.by_name[n].tokens(rows, memo) for n in self.c["components"]]
            out = []
            for i in range(len(rows)):
                acc = parts[0][i]
                for p in parts[1:]:
                    acc = [a + "\x00" + b for a in acc for b in p[i]]
                out.append(acc)
        else:
            src = self.source
            out = []
            for r in rows:
                v = r.get(src)
                out.append([] if v is None else [str(x) for x in v] if isinstance(v, list) else [str(v)])
        memo[key] = out
        return out

    def ids(self, rows, memo):
        """The column's ids for the request as one flat list and the offset of each row's bag in it (a bag
        holds id 0 for a missing or unknown value)."""
        key = ("i", self.name)
        if key in memo:
            return memo[key]
        if self.type == "bucketized":
            b, src = self.c["boundaries"], self.source
            flat = [0 if r.get(src) is None else bisect.bisect_right(b, r[src]) + 1 for r in rows]
            memo[key] = (flat, list(range(len(rows))))
            return memo[key]
        lookup = self.vocab.get if self.vocab is not None else self.hashed
        flat, offsets = [], []
        for ts in self.tokens(rows, memo):
            offsets.append(len(flat))
            if len(ts) == 1:
                flat.append(lookup(ts[0], 0))
            elif ts:
                flat.extend([lookup(t, 0) for t in ts])
            else:
                flat.append(0)
        memo[key] = (flat, offsets)
        return memo[key]

    def hashed(self, token, _default):
        """1 + crc32(UTF-8 token) mod the column's buckets, through the column's cache."""
        i = self.cache.get(token)
        if i is None:
            if len(self.cache) >= HASH_CACHE_MAX:
                self.cache.clear()
            i = self.cache[token] = 1 + zlib.crc32(token.encode("utf-8")) % self.buckets
        return i

    def numbers(self, rows):
        src, n, log1p = self.source, self.c["normalize"], self.c.get("log1p")
        mean, std = (n["mean"], n["std"] or 1.0) if n and n.get("kind") == "standardize" else (0.0, 1.0)
        out = []
        for r in rows:
            v = r.get(src)
            x = float(v) if v is not None else 0.0
            out.append(((math.log1p(x) if log1p else x) - mean) / std)
        return out


class WideDeep(nn.Module):
    def __init__(self, sizes, hidden):
        super().__init__()
        self.wide_keys = len(sizes["wide"])
        self.wide = nn.EmbeddingBag(sum(w["size"] for w in sizes["wide"]), 1, mode="sum")
        self.wide_bias = nn.Parameter(torch.zeros(1))
        self.emb = nn.ModuleList(nn.EmbeddingBag(e["size"], e["dim"], mode="mean" if e["pooling"] == "mean" else "sum") for e in sizes["embeddings"])
        width = sum(e["dim"] for e in sizes["embeddings"]) + sizes["denseWidth"]
        layers = []
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, wide_ids, wide_offsets, emb_ids, emb_offsets, dense):
        # One bag per (wide key, row), key by key: the wide logit of a row is the sum of its keys' bags.
        wide = self.wide(wide_ids, wide_offsets).view(self.wide_keys, -1).sum(0) + self.wide_bias
        deep = torch.cat([m(i, o) for m, i, o in zip(self.emb, emb_ids, emb_offsets)] + [dense], dim=1)
        return torch.sigmoid(wide + self.mlp(deep).squeeze(1))


def read_manifest(bundle):
    """The manifest of a bundle directory, following a versioned bundle's `current` pointer
    (src/artifact/atomic-dir.ts names the committed version in that one-line file)."""
    pointer = os.path.join(bundle, "current")
    if os.path.exists(pointer):
        with open(pointer, encoding="utf-8") as f:
            bundle = os.path.join(bundle, f.read().strip())
    with open(os.path.join(bundle, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


class Scorer:
    """The bundle's transform and model: predict(rows) -> a probability per row, in order."""

    def __init__(self, bundle, jit=False):
        m = read_manifest(bundle)
        spec, sizes = m["spec"], m["sizes"]
        by_name = {}
        for c in spec["columns"]:
            by_name[c["name"]] = Column(c, by_name)
        self.wide = [by_name[w["key"]] for w in sizes["wide"]]
        self.emb = [by_name[e["key"]] for e in sizes["embeddings"]]
        self.dense = [by_name[c["name"]] for c in spec["columns"] if c["type"] == "numeric" and "deep" in c["feeds"]]
        self.wide_base = [0]
        for s in [w["size"] for w in sizes["wide"]][:-1]:
            self.wide_base.append(self.wide_base[-1] + s)
        self.model = WideDeep(sizes, m["model"]["deep"]["hidden"]).eval()
        self.jit = False
        if jit:
            self.trace()

    def tensors(self, rows):
        """The model's inputs for `rows`: wide ids and offsets (a bag per wide key and row, key by key), per
        embedded key ids and offsets, the dense block."""
        memo = {}
        wide_ids, wide_offsets, total = [], [], 0
        for col, base in zip(self.wide, self.wide_base):
            flat, offsets = col.ids(rows, memo)
            wide_ids.append(torch.tensor(flat, dtype=torch.long) + base)
            wide_offsets.append(torch.tensor(offsets, dtype=torch.long) + total)
            total += len(flat)
        emb_ids, emb_offsets = [], []
        for col in self.emb:
            flat, offsets = col.ids(rows, memo)
            emb_ids.append(torch.tensor(flat, dtype=torch.long))
            emb_offsets.append(torch.tensor(offsets, dtype=torch.long))
        cols = [c.numbers(rows) for c in self.dense]
        dense = torch.tensor(cols, dtype=torch.float32).reshape(len(cols), len(rows)).t().contiguous()
        return torch.cat(wide_ids), torch.cat(wide_offsets), emb_ids, emb_offsets, dense

    def trace(self):
        """Swaps the eager module for its traced and frozen TorchScript, checked against it on a sample batch."""
        with torch.no_grad():
            inputs = self.tensors([{} for _ in range(7)])
            traced = torch.jit.freeze(torch.jit.trace(self.model, inputs, check_trace=False))
            # A probe of another size, with other ids and numbers than the trace's sample.
            probe = list(self.tensors([{} for _ in range(3)]))
            probe[0] = probe[0] + 1
            probe[4] = torch.randn(3, len(self.dense))
            same = torch.allclose(traced(*probe), self.model(*probe), atol=1e-6)
        if not same:
            raise RuntimeError("the traced module disagrees with the eager one")
        self.model = traced
        self.jit = True

    def predict(self, rows):
        inputs = self.tensors(rows)
        with torch.inference_mode():
            return self.model(*inputs).tolist()
