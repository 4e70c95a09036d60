"""PyTorch serving peer for bench/serve-case.ts: the same model bundle served over HTTP the way a Python team
would serve it (http.server + json + a Wide & Deep nn.Module under torch.inference_mode).

    python3 bench/torch_serve.py --bundle DIR [--port 0]

Reads the bundle's manifest.json (widedeep's fitted feature spec and model sizes; docs/BUNDLE.md) and builds:
- the serving transform in Python, column type by column type: vocabularies as dicts (unknown -> 0), hashed
  columns and crosses through zlib.crc32 of the UTF-8 value (crosses: the component values joined; a
  multi-valued component makes one id per value, as in widedeep), bucketized columns by bisect, standardized
  numerics;
- the model: one EmbeddingBag (dim 1, sum) over every wide key laid end to end plus a bias for the wide logit,
  one EmbeddingBag per embedded key (its pooling), the concatenation with the numerics through the MLP of the
  manifest (ReLU), one logit, sigmoid. Weights are random: the work of a request does not depend on them.

Answers POST /predict {"rows": [...]} with {"predictions": [...]}, as `widedeep serve` does; prints one JSON
line {"event": "listening", "url": ...} when it listens, with the BLAS fields of bench/torch_blas.py (OpenBLAS
on its best kernel for the CPU, as the other peers; `--threads` 2, `--blas auto`). A thread per connection (the
client sends one request at a time).
"""
import argparse
import bisect
import json
import math
import os
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch_blas  # bench/torch_blas.py: OpenBLAS and its best kernel, chosen before torch loads

AP = argparse.ArgumentParser()
AP.add_argument("--bundle", required=True)
AP.add_argument("--port", type=int, default=0)
AP.add_argument("--threads", type=int, default=2)
AP.add_argument("--blas", default="auto", help="auto (default), system, or a dir holding OpenBLAS's libblas.so.3")
ARGS = AP.parse_args()
torch, BLAS = torch_blas.import_torch("torch_serve", ARGS.threads, ARGS.blas)
from torch import nn  # noqa: E402  (after the BLAS preload on purpose)


def crc(text, buckets):
    return 1 + zlib.crc32(text.encode("utf-8")) % buckets


class Column:
    """Encodes one sparse column of the spec into ids (a list per row), or a numeric column into a float."""

    def __init__(self, c, by_name):
        self.c = c
        self.type = c["type"]
        enc = c.get("encoding") or {}
        self.vocab = {v: i + 1 for i, v in enumerate(enc.get("values", []))} if enc.get("kind") == "vocabulary" else None
        self.buckets = enc.get("numBuckets")
        self.by_name = by_name

    def tokens(self, row):
        """The column's raw values of a row as strings (a list: one for scalars, several for multi-valued)."""
        t = self.type
        if t == "crossed":
            parts = [self.by_name[n].tokens(row) for n in self.c["components"]]
            out = [""]
            for p in parts:
                out = [a + "\x00" + b if a else b for a in out for b in p]
            return out
        if t == "bucketized":
            v = row.get(self.c["source"])
            return [str(bisect.bisect_right(self.c["boundaries"], v) + 1)] if v is not None else []
        v = row.get(self.c["source"])
        if v is None:
            return []
        return [str(x) for x in v] if isinstance(v, list) else [str(v)]

    def ids(self, row):
        toks = self.tokens(row)
        if self.type == "bucketized":
            return [int(t) for t in toks] or [0]
        if self.vocab is not None:
            return [self.vocab.get(t, 0) for t in toks] or [0]
        return [crc(t, self.buckets) for t in toks] or [0]

    def number(self, row):
        v = row.get(self.c["source"])
        n = self.c["normalize"]
        x = float(v) if v is not None else 0.0
        if self.c.get("log1p"):
            x = math.log1p(x)
        if n and n.get("kind") == "standardize":
            x = (x - n["mean"]) / (n["std"] or 1.0)
        return x


class WideDeep(nn.Module):
    def __init__(self, sizes, hidden):
        super().__init__()
        self.wide_sizes = [w["size"] for w in sizes["wide"]]
        self.wide = nn.EmbeddingBag(sum(self.wide_sizes), 1, mode="sum")
        self.wide_bias = nn.Parameter(torch.zeros(1))
        self.emb = nn.ModuleList(nn.EmbeddingBag(e["size"], e["dim"], mode="mean" if e["pooling"] == "mean" else "sum") for e in sizes["embeddings"])
        width = sum(e["dim"] for e in sizes["embeddings"]) + sizes["denseWidth"]
        layers = []
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, wide_ids, wide_offsets, emb_inputs, dense):
        wide = self.wide(wide_ids, wide_offsets).squeeze(1) + self.wide_bias
        deep = torch.cat([m(i, o) for m, (i, o) in zip(self.emb, emb_inputs)] + [dense], dim=1)
        return torch.sigmoid(wide + self.mlp(deep).squeeze(1))


def load(bundle):
    # A versioned bundle (src/artifact/atomic-dir.ts) names its committed version in the one-line file `current`.
    pointer = os.path.join(bundle, "current")
    if os.path.exists(pointer):
        with open(pointer, encoding="utf-8") as f:
            bundle = os.path.join(bundle, f.read().strip())
    with open(f"{bundle}/manifest.json", encoding="utf-8") as f:
        m = json.load(f)
    spec, sizes = m["spec"], m["sizes"]
    by_name = {}
    for c in spec["columns"]:
        by_name[c["name"]] = Column(c, by_name)
    wide_cols = [by_name[w["key"]] for w in sizes["wide"]]
    emb_cols = [by_name[e["key"]] for e in sizes["embeddings"]]
    dense_cols = [by_name[c["name"]] for c in spec["columns"] if c["type"] == "numeric" and "deep" in c["feeds"]]
    offsets = [0]
    for s in [w["size"] for w in sizes["wide"]][:-1]:
        offsets.append(offsets[-1] + s)
    model = WideDeep(sizes, m["model"]["deep"]["hidden"]).eval()
    return wide_cols, offsets, emb_cols, dense_cols, model


WIDE, WIDE_BASE, EMB, DENSE, MODEL = load(ARGS.bundle)


def bags(rows, col, base=0):
    ids, offs = [], []
    for r in rows:
        offs.append(len(ids))
        ids.extend(base + i for i in col.ids(r))
    return ids, offs


def predict(rows):
    wide_ids, wide_offsets = [], []
    for r in rows:
        wide_offsets.append(len(wide_ids))
        for col, base in zip(WIDE, WIDE_BASE):
            wide_ids.extend(base + i for i in col.ids(r))
    emb = []
    for col in EMB:
        ids, offs = bags(rows, col)
        emb.append((torch.tensor(ids, dtype=torch.long), torch.tensor(offs, dtype=torch.long)))
    dense = torch.tensor([[c.number(r) for c in DENSE] for r in rows], dtype=torch.float32)
    with torch.inference_mode():
        p = MODEL(torch.tensor(wide_ids, dtype=torch.long), torch.tensor(wide_offsets, dtype=torch.long), emb, dense)
    return p.tolist()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the client's delayed
    # ACK hold the body back ~40 ms on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path != "/predict":
            return self.send_json(404, {"error": "no route"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
            self.send_json(200, {"predictions": predict(body["rows"])})
        except Exception as e:  # a bad request: 400 with the reason
            self.send_json(400, {"error": str(e)})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    print(json.dumps({"event": "listening", "url": f"http://127.0.0.1:{server.server_address[1]}", "torch": torch.__version__, "threads": torch.get_num_threads(), **BLAS}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
