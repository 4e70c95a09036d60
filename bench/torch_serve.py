"""PyTorch serving peer for bench/serve-case.ts: the same model bundle served over HTTP with Python's standard
library (http.server + json), the transform and model of bench/torch_serve_model.py (shared with the FastAPI
peer, bench/torch_serve_fastapi.py).

    python3 bench/torch_serve.py --bundle DIR [--port 0] [--threads 1] [--jit on|off] [--blas auto]

Answers POST /predict {"rows": [...]} with {"predictions": [...]}, as `widedeep serve` does, and GET /health;
prints one JSON line {"event": "listening", "url": ..., "blas": ..., "blas_core": ...} when it listens, with the
BLAS fields of bench/torch_blas.py (OpenBLAS on its best kernel for the CPU, as the other peers). A thread per
connection (ThreadingHTTPServer), keep-alive, TCP_NODELAY.
"""
import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch_blas  # bench/torch_blas.py: OpenBLAS and its best kernel, chosen before torch loads

AP = argparse.ArgumentParser()
AP.add_argument("--bundle", required=True)
AP.add_argument("--port", type=int, default=0)
AP.add_argument("--threads", type=int, default=1, help="torch intra-op threads (measured: 1 is as fast as 2 at 200 rows)")
AP.add_argument("--jit", default="on", choices=["on", "off"], help="TorchScript trace + freeze of the module")
AP.add_argument("--blas", default="auto", help="auto (default), system, or a dir holding OpenBLAS's libblas.so.3")
ARGS = AP.parse_args()
torch, BLAS = torch_blas.import_torch("torch_serve", ARGS.threads, ARGS.blas)
import torch_serve_model  # noqa: E402  (after the BLAS preload on purpose)

SCORER = torch_serve_model.Scorer(ARGS.bundle, jit=ARGS.jit == "on")


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

    def do_GET(self):
        if self.path != "/health":
            return self.send_json(404, {"error": "no route"})
        self.send_json(200, {"status": "ok"})

    def do_POST(self):
        if self.path != "/predict":
            return self.send_json(404, {"error": "no route"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
            self.send_json(200, {"predictions": SCORER.predict(body["rows"])})
        except Exception as e:  # a bad request: 400 with the reason
            self.send_json(400, {"error": str(e)})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    print(json.dumps({"event": "listening", "url": f"http://127.0.0.1:{server.server_address[1]}", "server": "http.server",
                      "torch": torch.__version__, "threads": torch.get_num_threads(), "jit": SCORER.jit, **BLAS}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
