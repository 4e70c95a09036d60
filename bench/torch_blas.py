"""BLAS selection shared by the PyTorch peer scripts (see bench/README.md, "BLAS").

Debian's torch links libblas.so.3, which on a machine without OpenBLAS is the ~50x slower reference BLAS.
`select_blas` finds OpenBLAS ($WIDEDEEP_OPENBLAS_DIR, the system one, an installed openblas-* dir, or the
cached .deb unpacked into ~/.cache/widedeep-bench), `preload_blas` loads it with RTLD_GLOBAL so torch binds to
it, and `loaded_blas` reports what the process really mapped. Import and call this before numpy or torch.
"""
import ctypes
import glob
import os
import subprocess
import sys

TAG = "[torch_blas]"
ARCH_LIB = "/usr/lib/x86_64-linux-gnu"
OPENBLAS_DEB_GLOB = "/var/cache/apt/archives/libopenblas0-pthread_*_amd64.deb"


def is_openblas_dir(d):
    return d and os.path.exists(os.path.join(d, "libblas.so.3")) and glob.glob(os.path.join(d, "libopenblas*"))


def extract_openblas_deb():
    """Unpack the cached Debian OpenBLAS package into a private cache dir (no install, no root)."""
    debs = sorted(glob.glob(OPENBLAS_DEB_GLOB))
    if not debs:
        return None
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "widedeep-bench",
                         os.path.basename(debs[-1])[:-4])
    libdir = os.path.join(cache, ARCH_LIB.lstrip("/"), "openblas-pthread")
    if not is_openblas_dir(libdir):
        os.makedirs(cache, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", debs[-1], cache], check=True)
    return libdir if is_openblas_dir(libdir) else None


def select_blas(choice):
    """Returns (directory to preload from or None, how it was found)."""
    if choice == "system":
        return None, "system"
    if choice not in ("auto",):
        if not is_openblas_dir(choice):
            sys.exit(f"--blas {choice}: no libblas.so.3 + libopenblas* in that directory")
        return choice, "explicit"
    env_dir = os.environ.get("WIDEDEEP_OPENBLAS_DIR")
    if env_dir:
        if not is_openblas_dir(env_dir):
            sys.exit(f"WIDEDEEP_OPENBLAS_DIR={env_dir}: no libblas.so.3 + libopenblas* there")
        return env_dir, "env"
    system_blas = os.path.realpath(os.path.join(ARCH_LIB, "libblas.so.3"))
    if "openblas" in system_blas:
        return None, "system"
    for d in ("openblas-pthread", "openblas-openmp", "openblas64-pthread"):
        if is_openblas_dir(os.path.join(ARCH_LIB, d)):
            return os.path.join(ARCH_LIB, d), "installed"
    try:
        d = extract_openblas_deb()
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"{TAG} could not unpack cached OpenBLAS: {e}", file=sys.stderr)
        d = None
    return (d, "apt-cache-extract") if d else (None, "system")


def preload_blas(d):
    if d is None:
        return
    ctypes.CDLL(os.path.join(d, "libblas.so.3"), mode=ctypes.RTLD_GLOBAL)
    if os.path.exists(os.path.join(d, "liblapack.so.3")):
        ctypes.CDLL(os.path.join(d, "liblapack.so.3"), mode=ctypes.RTLD_GLOBAL)


def loaded_blas():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in os.path.basename(p):
                libs.add(p)
    kind = "openblas" if any("openblas" in p for p in libs) else ("reference" if libs else "none")
    core = None
    for p in libs:
        if "libopenblas" in os.path.basename(p):
            try:
                lib = ctypes.CDLL(p)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                core = lib.openblas_get_corename().decode()
            except (OSError, AttributeError):
                pass
    return kind, sorted(libs), core


def import_torch(script, threads, blas):
    """The peers' shared start: OpenBLAS chosen (`--blas`) and preloaded before anything links a BLAS, then
    torch imported on `threads` threads. Warns on stderr when torch still runs on the reference BLAS.
    Returns (torch, blas_source, blas_kind, blas_libs, blas_core); import numpy only after this."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    blas_dir, source = select_blas(blas)
    preload_blas(blas_dir)
    try:
        import torch
    except ImportError:
        sys.exit("torch not importable: run with /usr/bin/python3 (Debian python3-torch), not the pyenv python3")
    torch.set_num_threads(threads)
    kind, libs, core = loaded_blas()
    if kind != "openblas":
        print(f"[{script}] WARNING: torch is running on the reference BLAS (libblas3), ~50x slower GEMM than "
              "OpenBLAS. Install libopenblas0-pthread or pass --blas DIR: these figures are NOT PyTorch at its best.",
              file=sys.stderr)
    return torch, source, kind, libs, core

