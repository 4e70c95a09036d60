"""BLAS selection shared by the PyTorch peer scripts (see bench/README.md, "BLAS").

Debian's torch links libblas.so.3, which on a machine without OpenBLAS is the ~50x slower reference BLAS.
`select_blas` finds OpenBLAS ($WIDEDEEP_OPENBLAS_DIR, the system one, an installed openblas-* dir, or the
cached .deb unpacked into ~/.cache/widedeep-bench), `preload_blas` loads it with RTLD_GLOBAL so torch binds to
it, and `loaded_blas` reports what the process really mapped. Import and call this before numpy or torch.

OpenBLAS picks its kernels ("core") when it loads, from CPUID, unless OPENBLAS_CORETYPE names one. On some
virtual machines that detection falls back to the generic Prescott (SSE3) kernels, and a machine's environment
may pin a lesser core on purpose (OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU, for older builds that crash on
it). `choose_coretype` sets the best core this CPU's instructions allow (/proc/cpuinfo flags) before the library
loads, overriding a lesser setting, since the peer is to run at its best; `blas_report` says which core really
loaded (`openblas_get_corename`) and checks a GEMM on it against a sum of products that uses no BLAS.
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


# OpenBLAS x86-64 cores (OPENBLAS_CORETYPE values, also what openblas_get_corename reports) by the instructions
# their kernels use, lowest first. Names are compared in lower case.
CORE_TIERS = (
    ("sse3", ("katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
              "nehalem", "athlon", "opteron", "opteron(sse3)", "barcelona", "bobcat", "nano")),
    ("avx", ("sandybridge", "bulldozer", "piledriver", "steamroller", "excavator")),
    ("avx2", ("haswell", "zen")),
    ("avx512", ("skylakex", "cooperlake", "sapphirerapids")),
)
TIER_OF = {core: i for i, (_, cores) in enumerate(CORE_TIERS) for core in cores}
# What the SkylakeX kernels execute (OpenBLAS 0.3.21 checks F, BW, VL and DQ before it picks them).
AVX512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"}


def cpu_flags(cpuinfo):
    """(vendor, set of flags) of the first processor in /proc/cpuinfo text; (None, empty) when it has none."""
    vendor, flags = None, set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "vendor_id" and vendor is None:
            vendor = value.strip()
        elif key == "flags":
            flags = set(value.split())
            break
    return vendor, flags


def best_core(vendor, flags):
    """The best OpenBLAS core for a CPU with these flags, or None (not x86, or nothing above SSE3 to choose).
    AVX-512: SkylakeX, also on AMD Zen 4/5 (OpenBLAS 0.3.21 knows no Zen 4; its Zen core is the AVX2 one, at
    148 against 334 GFLOP/s for SkylakeX on a 2048x1024x512 GEMM on a Zen 5 EPYC). AVX2 + FMA: Zen on AMD,
    Haswell elsewhere. AVX: Sandybridge."""
    if AVX512 <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Zen" if vendor in ("AuthenticAMD", "HygonGenuine") else "Haswell"
    if "avx" in flags:
        return "Sandybridge"
    return None


def below(core, best):
    """Whether `core` is a lesser kernel family than `best` (an unknown name counts as lesser)."""
    if core is None or best is None:
        return False
    return TIER_OF.get(core.lower(), -1) < TIER_OF[best.lower()]


def choose_coretype(environ, cpuinfo):
    """Sets OPENBLAS_CORETYPE in `environ` to the best core for the CPU unless it already names one as good.
    Returns (best core or None, the value found in the environment or None, a note to print or None)."""
    best = best_core(*cpu_flags(cpuinfo))
    was = environ.get("OPENBLAS_CORETYPE") or None
    if best is None or (was is not None and not below(was, best)):
        return best, was, None
    environ["OPENBLAS_CORETYPE"] = best
    if was is None:
        return best, was, None
    return best, was, (f"OPENBLAS_CORETYPE={was} in the environment names a lesser kernel than this CPU runs: "
                       f"overridden with {best} for the peer (the peer runs at its best)")


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


def gemm_ok(torch):
    """A float32 GEMM through the BLAS against the same sum of products by elementwise ops (no BLAS)."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(96, 80, generator=g), torch.randn(80, 72, generator=g)
    exact = (a.double()[:, :, None] * b.double()[None, :, :]).sum(1)
    return bool(((a @ b).double() - exact).abs().max() < 1e-3)


def read_cpuinfo():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def import_torch(script, threads, blas):
    """The peers' shared start: OpenBLAS chosen (`--blas`), its core (`choose_coretype`), and preloaded before
    anything links a BLAS, then torch imported on `threads` threads. Warns on stderr when torch still runs on
    the reference BLAS or on a core below the CPU's best, and says which core loaded.
    Returns (torch, info): info holds the JSON fields blas, blas_core, blas_core_best, blas_core_below_best,
    blas_coretype_env (OPENBLAS_CORETYPE as found), blas_gemm_ok, blas_source, blas_libs.
    Import numpy only after this."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    best, was, note = choose_coretype(os.environ, read_cpuinfo())
    if note:
        print(f"[{script}] {note}", file=sys.stderr)
    blas_dir, source = select_blas(blas)
    preload_blas(blas_dir)
    try:
        import torch
    except ImportError:
        sys.exit("torch not importable: run with /usr/bin/python3 (Debian python3-torch), not the pyenv python3")
    torch.set_num_threads(threads)
    kind, libs, core = loaded_blas()
    ok = gemm_ok(torch)
    if kind != "openblas":
        print(f"[{script}] WARNING: torch is running on the reference BLAS (libblas3), ~50x slower GEMM than "
              "OpenBLAS. Install libopenblas0-pthread or pass --blas DIR: these figures are NOT PyTorch at its best.",
              file=sys.stderr)
    else:
        print(f"[{script}] OpenBLAS kernel: {core} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}; "
              f"best for this CPU: {best})", file=sys.stderr)
    if below(core, best):
        print(f"[{script}] WARNING: OpenBLAS runs its {core} kernels, below this CPU's {best}: these figures are NOT "
              "PyTorch at its best (bench/run.ts withholds the ratio).", file=sys.stderr)
    if not ok:
        print(f"[{script}] WARNING: a GEMM on the {core} kernels disagrees with the sum of products: the figures are "
              "not to be trusted.", file=sys.stderr)
    info = {"blas": kind, "blas_core": core, "blas_core_best": best, "blas_core_below_best": below(core, best),
            "blas_coretype_env": was, "blas_gemm_ok": ok, "blas_source": source, "blas_libs": libs}
    return torch, info

