"""PyTorch serving peer behind FastAPI + uvicorn, for bench/serve-case.ts: the same bundle, transform and model as
bench/torch_serve.py (bench/torch_serve_model.py), served the way a Python team runs FastAPI in production.

    python3 bench/torch_serve_fastapi.py --bundle DIR [--port 0] [--workers 1] [--endpoint async|sync]
        [--threads 1] [--jit on|off] [--blas auto]

- `--endpoint async`: `async def predict(request)`, the raw body through json.loads and the answer through
  json.dumps in a plain Response (no pydantic model, no jsonable_encoder: both cost more than the model at 200
  rows), scored on the event loop. `sync`: `def predict(payload: dict = Body(...))`, FastAPI parses the body and
  runs the function in its thread pool (torch releases the GIL while it computes).
- `--workers N`: uvicorn's own process manager (N processes on one listening socket), each with its own model;
  `--threads` torch intra-op threads per worker.
- uvicorn picks httptools and uvloop when they are installed ("auto"); this script reports which it got
  (`http`, `loop` in the ready lines). Debian 12 packages both (python3-httptools, python3-uvloop).

Prints {"event": "listening", "url": ...} once the port is chosen, then one {"event": "worker_ready", "pid",
"threads", "http", "loop", "blas", "blas_core", ...} line per worker when it has loaded the model (the BLAS
fields of bench/torch_blas.py: OpenBLAS on its best kernel, as every peer). GET /health answers 200.
The app is built only when uvicorn imports this file as the module `torch_serve_fastapi`, from the settings
the launcher leaves in the environment (WIDEDEEP_PEER_*), so each worker builds its own.
"""
import argparse
import json
import os
import select
import socket
import sys

ENV = "WIDEDEEP_PEER_"


def emit(event):
    """One event line on stdout in a single write(2): atomic on a pipe (under PIPE_BUF bytes), so the lines of
    several uvicorn workers starting at once never interleave (print's buffered writes did: `}{` on one line)."""
    line = (json.dumps(event) + "\n").encode()
    assert len(line) <= select.PIPE_BUF, "an event line must fit one atomic pipe write"
    os.write(sys.stdout.fileno(), line)


def build_app():
    """The FastAPI app of one worker: OpenBLAS preloaded, torch on the configured threads, the bundle's scorer."""
    import torch_blas  # bench/torch_blas.py: OpenBLAS and its best kernel, chosen before torch loads

    threads = int(os.environ[ENV + "THREADS"])
    torch, blas = torch_blas.import_torch("torch_serve_fastapi", threads, os.environ[ENV + "BLAS"])
    import torch_serve_model  # after the BLAS preload on purpose
    from fastapi import Body, FastAPI, Request
    from fastapi.responses import Response

    scorer = torch_serve_model.Scorer(os.environ[ENV + "BUNDLE"], jit=os.environ[ENV + "JIT"] == "on")
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def answer(rows):
        return Response(content=json.dumps({"predictions": scorer.predict(rows)}), media_type="application/json")

    def bad(e):
        return Response(content=json.dumps({"error": str(e)}), status_code=400, media_type="application/json")

    if os.environ[ENV + "ENDPOINT"] == "async":
        @app.post("/predict")
        async def predict_async(request: Request):
            try:
                return answer(json.loads(await request.body())["rows"])
            except Exception as e:  # a bad request: 400 with the reason
                return bad(e)
    else:
        @app.post("/predict")
        def predict_sync(payload: dict = Body(...)):
            try:
                return answer(payload["rows"])
            except Exception as e:  # a bad request: 400 with the reason
                return bad(e)

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.on_event("startup")
    async def ready():
        emit({"event": "worker_ready", "pid": os.getpid(), "server": "fastapi+uvicorn",
              "endpoint": os.environ[ENV + "ENDPOINT"], "threads": torch.get_num_threads(), "jit": scorer.jit,
              "http": http_impl(), "loop": loop_impl(), "torch": torch.__version__, **blas})

    return app


def http_impl():
    try:
        import httptools  # noqa: F401
        return "httptools"
    except ImportError:
        return "h11"


def loop_impl():
    try:
        import uvloop  # noqa: F401
        return "uvloop"
    except ImportError:
        return "asyncio"


if __name__ == "torch_serve_fastapi":
    app = build_app()


def listening_socket(port):
    """A TCP socket bound on 127.0.0.1 for uvicorn's workers to share. Made here, not by uvicorn: uvicorn 0.17
    binds `socket.socket(family=AF_INET)`, whose `proto` is 0, and asyncio then leaves TCP_NODELAY off on every
    accepted connection (it sets it only where proto is IPPROTO_TCP); h11 writes headers and body in two
    sends, so Nagle's algorithm and the client's delayed ACK add ~40 ms to every keep-alive request with
    `--workers` > 1 (measured: p50 56-60 ms against 8 ms with one worker, at 200 candidates)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.set_inheritable(True)
    return sock


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--endpoint", default="async", choices=["async", "sync"])
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads per worker")
    ap.add_argument("--jit", default="on", choices=["on", "off"], help="TorchScript trace + freeze of the module")
    ap.add_argument("--blas", default="auto", help="auto (default), system, or a dir holding OpenBLAS's libblas.so.3")
    args = ap.parse_args()
    for key, value in (("BUNDLE", args.bundle), ("ENDPOINT", args.endpoint), ("THREADS", args.threads),
                       ("JIT", args.jit), ("BLAS", args.blas)):
        os.environ[ENV + key] = str(value)
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    sock = listening_socket(args.port)
    port = sock.getsockname()[1]
    emit({"event": "listening", "url": f"http://127.0.0.1:{port}", "server": "fastapi+uvicorn",
          "workers": args.workers, "endpoint": args.endpoint})
    # What uvicorn.run does (one Server, or its Multiprocess supervisor for workers > 1), on our socket.
    config = uvicorn.Config("torch_serve_fastapi:app", workers=args.workers, log_level="warning", access_log=False,
                            http="auto", loop="auto")
    server = uvicorn.Server(config)
    if args.workers > 1:
        Multiprocess(config, target=server.run, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])
    sys.exit(0)


if __name__ == "__main__":
    main()
