#!/usr/bin/python3
"""PyTorch peer worker for the side-by-side benchmark (issue 6).

A long-lived process speaking JSON lines: one request per line on stdin, one reply per line on stdout
(flushed after each). Anything else (warnings, logs, native prints) goes to stderr: the protocol writes to a
private duplicate of the original stdout, and file descriptor 1 is pointed at stderr at start.

Run:  /usr/bin/python3 bench/peers/torch_worker.py --threads T      (the driver sets OPENBLAS_NUM_THREADS,
      OMP_NUM_THREADS, OMP_WAIT_POLICY and MALLOC_* in the environment BEFORE python starts)
      /usr/bin/python3 bench/peers/torch_worker.py --selftest       (checks; exit code 1 on any FAIL)

Requests (see bench/peers/README.md for the full protocol):
  {"cmd":"time","workload":"W2","op":"hvp","dtype":"f32","batch":1000,"variant":"all","warmup":3,"reps":10}
  {"cmd":"time","workload":"GEMM","op":"gemm","dtype":"f32","n":512,"variant":"all"}
  {"cmd":"time","workload":"M4","op":"perpoint","dtype":"f32","points":50,"reps":1,"warmup":0}
  {"cmd":"time","workload":"W3","op":"train","dtype":"f32","batch":100,"steps":10}
  {"cmd":"info"}  {"cmd":"rss"}  {"cmd":"mem_reset"}  {"cmd":"quit"}
Replies: {"ok":true,"results":[{"variant":..,"times_ms":[..],"check":..}, ...]} or {"ok":false,"error":".."};
a variant that cannot run here is {"variant":..,"error":".."} inside results.

Workloads are those of bench/src/main/java/org/flatminima/bench/AutodiffBenchmark.java (W1, W2, W3) plus the
authors' MLP M4; loss = mean cross-entropy over the batch. Uses torch 1.13 (Debian) and its separate `functorch`
package (1.13 has no torch.func).
"""

import argparse
import ctypes
import gc
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import functorch

from torch_shared import (TRAIN_BATCH, TRAIN_STEPS, SharedSetup, TrainSetup, op_perpoint_exact, op_train,
                          perpoint_class_grads, perpoint_jacrev, shared_uniform)

# ---------------------------------------------------------------------------------------------------------
# Models and data
# ---------------------------------------------------------------------------------------------------------

DTYPES = {"f32": torch.float32, "f64": torch.float64}
NP_DTYPES = {"f32": np.float32, "f64": np.float64}
DEFAULT_BATCH = {"W1": 1000, "W2": 1000, "W3": 256, "M4": 1000}
SEED = 42


def mlp(*widths):
    """Linear layers of the given widths with ReLU between them (none after the last)."""
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def build_model(workload):
    """The model of a workload and the shape of one sample."""
    if workload == "W1":
        return mlp(784, 10), (784,)
    if workload == "W2":
        return mlp(784, 512, 512, 10), (784,)
    if workload == "M4":
        return mlp(784, 256, 256, 256, 256, 10), (784,)
    if workload == "W3":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10)), (1, 28, 28)
    if workload == "TINY":  # self-test only: a small MLP where finite differences are cheap
        return mlp(6, 5, 4, 3), (6,)
    if workload == "TINYCNN":  # self-test only: a small CNN whose dense Hessian is cheap
        return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(18, 4)), (1, 6, 6)
    raise ValueError("unknown workload %r: use W1, W2, W3, M4 or GEMM" % workload)


def lse_loss(z, y):
    """Mean cross-entropy written as mean(logsumexp(z) - z_y).

    Debian's torch 1.13 has no forward-mode derivative for nll_loss_backward, so F.cross_entropy cannot be
    used under functorch.jvp(functorch.grad(...)); this form only uses ops that have one.
    """
    return (torch.logsumexp(z, 1) - z.gather(1, y.unsqueeze(1)).squeeze(1)).mean()


class Setup:
    """Model, data and fixed directions of one (workload, dtype, batch); built once, reused by every request."""

    def __init__(self, workload, dtype, batch):
        torch.manual_seed(SEED)
        model, sample = build_model(workload)
        self.model = model.to(DTYPES[dtype]).eval()
        gen = torch.Generator().manual_seed(SEED + 1)
        self.x = torch.rand((batch,) + sample, generator=gen, dtype=DTYPES[dtype])
        self.y = torch.randint(0, model[-1].out_features, (batch,), generator=gen)
        self.params = [p for p in self.model.parameters()]
        # One normal direction for "hvp", ten Rademacher directions for "hvp10", parameter-shaped.
        self.v = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in self.params]
        self.v10 = [[rademacher(p, gen) for p in self.params] for _ in range(10)]
        # functorch: the model as a pure function of a tuple of parameters (same values as self.params).
        self.fmodel, fparams = functorch.make_functional(self.model)
        self.fparams = tuple(p.detach() for p in fparams)
        self.v10_stacked = tuple(torch.stack([d[i] for d in self.v10]) for i in range(len(self.params)))

    def loss(self):
        """Mean cross-entropy through the nn.Module (F.cross_entropy: PyTorch's usual, fused path)."""
        return F.cross_entropy(self.model(self.x), self.y)

    def floss(self, params):
        """The same loss as a function of the parameter tuple, for functorch."""
        return lse_loss(self.fmodel(params, self.x), self.y)


def rademacher(p, gen):
    """A tensor of p's shape and dtype with entries +-1, equally likely."""
    return torch.randint(0, 2, p.shape, generator=gen).to(p.dtype).mul_(2).sub_(1)


def dot(xs, ys):
    """Inner product of two lists of tensors, as a Python float."""
    return float(sum(torch.sum(a * b) for a, b in zip(xs, ys)))


# ---------------------------------------------------------------------------------------------------------
# The operations; each returns (callable for one timed rep, list of variant names). A rep returns the check.
# ---------------------------------------------------------------------------------------------------------

def op_forward(s):
    def run():
        with torch.no_grad():
            return float(s.loss())
    return {"torch": run}


def op_grad(s):
    def run():
        loss = s.loss()
        torch.autograd.grad(loss, s.params, create_graph=False)
        return float(loss)
    return {"torch": run}


def hvp_double_backward(s, v):
    """Hv by double backward: g = grad(loss, create_graph) then the vector-Jacobian product of g with v.

    grad(g, params, grad_outputs=v) is autograd.grad of <g, v> without building the product nodes.
    """
    g = torch.autograd.grad(s.loss(), s.params, create_graph=True)
    return torch.autograd.grad(g, s.params, grad_outputs=v)


def hvp_functorch(s, v):
    """Hv as forward-over-reverse: functorch.jvp of functorch.grad of the loss."""
    return functorch.jvp(functorch.grad(s.floss), (s.fparams,), (tuple(v),))[1]


def op_hvp(s):
    return {
        "double_backward": lambda: dot(s.v, hvp_double_backward(s, s.v)),
        "functorch": lambda: dot(s.v, hvp_functorch(s, s.v)),
    }


def hvp10_double_backward(s):
    """Ten HVPs from one create_graph backward: ten autograd.grad calls on the retained graph."""
    g = torch.autograd.grad(s.loss(), s.params, create_graph=True)
    total = 0.0
    for i, v in enumerate(s.v10):
        hv = torch.autograd.grad(g, s.params, grad_outputs=v, retain_graph=i < 9)
        total += dot(v, hv)
    return total / 10


def hvp10_functorch(s):
    return sum(dot(v, hvp_functorch(s, v)) for v in s.v10) / 10


def hvp10_vmap(s):
    """functorch.vmap of jvp-of-grad over the ten stacked directions: one batched pass."""
    hvp = lambda v: functorch.jvp(functorch.grad(s.floss), (s.fparams,), (v,))[1]
    hv = functorch.vmap(hvp)(s.v10_stacked)
    return float(sum(torch.sum(a * b) for a, b in zip(s.v10_stacked, hv))) / 10


def op_hvp10(s):
    return {"double_backward": lambda: hvp10_double_backward(s),
            "functorch": lambda: hvp10_functorch(s),
            "functorch_vmap": lambda: hvp10_vmap(s)}


def perpoint_traces(s, points, tol=1e-3, max_iter=100, seed=SEED + 7):
    """The authors' per-point estimator: for each point, Hutchinson at batch size 1 with PyHessian's stopping rule.

    Written after PyHessian's `hessian.trace` (github.com/amirgholami/PyHessian, pyhessian/hessian.py): the
    gradient of the single-point loss is taken once with create_graph=True (their `loss.backward(create_graph=
    True)` in the constructor), then probe after probe a Rademacher v, Hv = autograd.grad(g, params,
    grad_outputs=v, retain_graph=True) (their utils.hessian_vector_product), v.Hv appended to a list; stop when
    |mean(list) - previous mean| / (|previous mean| + 1e-6) < tol, the previous mean starting at 0, or after
    max_iter probes. The point's trace is the mean of the list. Probes come from a generator seeded per call,
    so every timed rep does the same work. Returns (per-point traces, probes used per point).

    PyHessian draws v with torch.randint_like and a masked assignment, about 4 ms per probe for M4's 400k
    parameters here, more than the HVP itself (1.4 ms); to give the peer its best, v is drawn as random bytes
    unpacked to bits (numpy, 0.2 ms), the same distribution.
    """
    rng = np.random.default_rng(seed)
    sizes = [p.numel() for p in s.params]
    total = sum(sizes)
    traces, probes = [], []
    for n in range(points):
        loss = F.cross_entropy(s.model(s.x[n:n + 1]), s.y[n:n + 1])
        g = torch.autograd.grad(loss, s.params, create_graph=True)
        vhv, trace = [], 0.0
        for _ in range(max_iter):
            bits = np.unpackbits(np.frombuffer(rng.bytes((total + 7) // 8), dtype=np.uint8))[:total]
            flat_v = torch.from_numpy(bits).to(s.params[0].dtype).mul_(2).sub_(1)
            v = [c.view_as(p) for c, p in zip(flat_v.split(sizes), s.params)]
            hv = torch.autograd.grad(g, s.params, grad_outputs=v, retain_graph=True)
            vhv.append(dot(v, hv))
            mean = sum(vhv) / len(vhv)
            if abs(mean - trace) / (abs(trace) + 1e-6) < tol:
                break
            trace = mean
        traces.append(sum(vhv) / len(vhv))
        probes.append(len(vhv))
    return traces, probes


def op_perpoint(s, points):
    stats = {}

    def run():
        traces, probes = perpoint_traces(s, points)
        stats["mean_probes"] = sum(probes) / len(probes)
        stats["mean_trace"] = sum(traces) / len(traces)
        return stats["mean_trace"]
    return {"hutchinson_loop": run}, stats



class GemmSetup:
    """Two random n x n matrices, as torch tensors and as numpy arrays (separate copies)."""

    def __init__(self, dtype, n):
        gen = torch.Generator().manual_seed(SEED)
        self.a = torch.rand((n, n), generator=gen, dtype=DTYPES[dtype])
        self.b = torch.rand((n, n), generator=gen, dtype=DTYPES[dtype])
        self.an = self.a.numpy().copy()
        self.bn = self.b.numpy().copy()


def op_gemm(g):
    return {"torch": lambda: float(torch.matmul(g.a, g.b)[0, 0]),
            "numpy": lambda: float(np.matmul(g.an, g.bn)[0, 0])}


# ---------------------------------------------------------------------------------------------------------
# Request handling
# ---------------------------------------------------------------------------------------------------------

_cache = {}


def setup_for(workload, dtype, batch, kind=None):
    """The cached setup: GemmSetup for GEMM, else Setup, or SharedSetup / TrainSetup when kind says so."""
    key = (workload, dtype, batch, kind)
    if key not in _cache:
        if workload == "GEMM":
            _cache[key] = GemmSetup(dtype, batch)
        else:
            if kind is None:
                _cache[key] = Setup(workload, dtype, batch)
            else:
                model, sample = build_model(workload)
                _cache[key] = {"shared": SharedSetup, "train": TrainSetup}[kind](model, sample, DTYPES[dtype], batch)
    return _cache[key]


def one_line(e):
    return ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")[:500]


def time_variant(fn, warmup, reps):
    """Runs fn warmup times untimed, then reps times each timed with perf_counter; returns (times_ms, check)."""
    check = None
    for _ in range(warmup):
        check = fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        check = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return times, check


def cmd_time(req):
    workload = req.get("workload", "W2")
    op = req["op"]
    dtype = req.get("dtype", "f32")
    if dtype not in DTYPES:
        raise ValueError("unknown dtype %r: use f32 or f64" % dtype)
    warmup = int(req.get("warmup", 3))
    reps = int(req.get("reps", 10))
    extra = {}
    if op == "gemm":
        variants = op_gemm(setup_for("GEMM", dtype, int(req["n"])))
    else:
        if workload == "GEMM":
            raise ValueError("workload GEMM only has op gemm")
        if op == "perpoint":
            # on the shared instance; M4: the authors' estimator; other models: the exact traces
            points = int(req.get("points", 1000))
            s = setup_for(workload, dtype, points, "shared")
            variants, extra = op_perpoint(s, points) if workload == "M4" else op_perpoint_exact(s, points)
        elif op == "train":
            if workload not in ("W3", "M4"):
                raise ValueError("op train is offered for W3 (E2's CNN) and M4 (E2's MLP), not %r" % workload)
            steps = int(req.get("steps", TRAIN_STEPS))
            variants, extra = op_train(setup_for(workload, dtype, int(req.get("batch", TRAIN_BATCH)), "train"),
                                       steps)
        else:
            s = setup_for(workload, dtype, int(req.get("batch", DEFAULT_BATCH.get(workload, 1000))))
            table = {"forward": op_forward, "grad": op_grad, "hvp": op_hvp, "hvp10": op_hvp10}
            if op not in table:
                raise ValueError("unknown op %r: use forward, grad, hvp, hvp10, gemm, perpoint or train" % op)
            variants = table[op](s)
    wanted = req.get("variant", "all")
    names = list(variants) if wanted == "all" else [wanted]
    results = []
    for name in names:
        if name not in variants:
            raise ValueError("op %s has no variant %r (it has %s)" % (op, name, ", ".join(variants)))
        try:
            times, check = time_variant(variants[name], warmup, reps)
        except Exception as e:  # e.g. a functorch transform that 1.13 does not support: report, go on
            results.append({"variant": name, "error": one_line(e)})
            continue
        r = {"variant": name, "times_ms": times, "check": check}
        r.update(extra)
        results.append(r)
    return {"ok": True, "results": results}


def blas_info():
    """Which BLAS libraries are mapped into this process (after one matmul each), with resolved paths."""
    torch.matmul(torch.ones(64, 64), torch.ones(64, 64))
    np.matmul(np.ones((64, 64)), np.ones((64, 64)))
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if any(k in base for k in ("blas", "lapack", "gomp", "omp")):
                libs.add(path)
    resolved = {}
    for name in ("/usr/lib/x86_64-linux-gnu/libblas.so.3", "/usr/lib/x86_64-linux-gnu/liblapack.so.3"):
        if os.path.exists(name):
            resolved[name] = os.path.realpath(name)
    return {"mapped": sorted(libs), "alternatives": resolved,
            "torch_config": [l.strip() for l in torch.__config__.show().splitlines()
                             if "BLAS" in l or "LAPACK" in l or "OpenMP" in l or "CPU capability" in l]}


def cmd_info(threads):
    env = {k: v for k, v in sorted(os.environ.items())
           if k.startswith(("OPENBLAS", "OMP_", "MKL_", "MALLOC_", "GOTO", "KMP_"))}
    blas = blas_info()
    return {"ok": True, "impl": "pytorch", "torch": torch.__version__, "numpy": np.__version__,
            "functorch": getattr(functorch, "__version__", "?"), "python": sys.version.split()[0],
            "blas": blas, "threads": threads, "torch_threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(), "openblas_threads": openblas_threads(blas),
            "env": env}


def openblas_threads(blas):
    """openblas_get_num_threads() of the OpenBLAS mapped in this process (the threads its GEMMs may use), or
    None. torch.set_num_threads does not change it; OPENBLAS_NUM_THREADS (or the CPU count) does."""
    for path in blas.get("mapped", []):
        if "openblas" in os.path.basename(path):
            try:
                return int(ctypes.CDLL(path).openblas_get_num_threads())
            except (OSError, AttributeError):
                continue
    return None


def proc_status_kb():
    """{"VmHWM": .., "VmRSS": ..} in KiB from /proc/self/status."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


def cmd_rss():
    """peak_rss_kb: VmHWM (the peak since the start or the last mem_reset); ru_maxrss is never reset."""
    st = proc_status_kb()
    return {"ok": True, "peak_rss_kb": st.get("VmHWM"), "rss_kb": st.get("VmRSS"),
            "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def cmd_mem_reset():
    """Drops the cached setups, gives freed memory back (gc, glibc malloc_trim) and resets VmHWM to VmRSS by
    writing 5 to /proc/self/clear_refs (proc(5)); replies rss_kb after that and whether the reset worked."""
    _cache.clear()
    gc.collect()
    notes = []
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError) as e:
        notes.append("malloc_trim failed: %s" % e)
    reset = True
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError as e:
        reset = False
        notes.append("cannot write 5 to /proc/self/clear_refs: %s" % e)
    st = proc_status_kb()
    r = {"ok": True, "rss_kb": st.get("VmRSS"), "peak_rss_kb": st.get("VmHWM"), "reset": reset}
    if notes:
        r["note"] = "; ".join(notes)
    return r


def serve(threads):
    # The protocol channel: a private copy of stdout; fd 1 then goes to stderr so that nothing else can
    # corrupt the replies (Python prints, warnings, native libraries writing to stdout).
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "quit":
                out.write(json.dumps({"ok": True}) + "\n")
                out.flush()
                break
            if cmd == "time":
                reply = cmd_time(req)
            elif cmd == "info":
                reply = cmd_info(threads)
            elif cmd == "rss":
                reply = cmd_rss()
            elif cmd == "mem_reset":
                reply = cmd_mem_reset()
            else:
                raise ValueError("unknown cmd %r: use time, info, rss, mem_reset or quit" % cmd)
        except Exception as e:
            reply = {"ok": False, "error": one_line(e)}
        out.write(json.dumps(reply) + "\n")
        out.flush()


# ---------------------------------------------------------------------------------------------------------
# Self-test (f64): HVP variants against each other and a finite difference of the gradient; hvp10 variants;
# the functorch loss against F.cross_entropy; the authors' per-point loop on W1 against the closed form.
# ---------------------------------------------------------------------------------------------------------

def flat(ts):
    return torch.cat([t.reshape(-1) for t in ts])


def rel(a, b):
    return float((a - b).norm() / max(float(b.norm()), 1e-300))


def selftest():
    failures = []

    def check(name, ok, detail):
        print("%s %s: %s" % ("PASS" if ok else "FAIL", name, detail))
        if not ok:
            failures.append(name)

    for workload, batch in (("W1", 200), ("TINY", 7)):
        s = Setup(workload, "f64", batch)
        check(workload + " functorch loss == F.cross_entropy", abs(float(s.floss(s.fparams)) - float(s.loss())) < 1e-12,
              "lse %.15g, F.cross_entropy %.15g" % (float(s.floss(s.fparams)), float(s.loss())))
        hv_db = flat(hvp_double_backward(s, s.v))
        hv_fx = flat(hvp_functorch(s, s.v))
        # Central finite difference of the gradient along v: error O(eps^2) on smooth parts (ReLU kinks are
        # not crossed for eps this small on random data).
        eps = 1e-5
        with torch.no_grad():
            plus = [p + eps * d for p, d in zip(s.fparams, s.v)]
            minus = [p - eps * d for p, d in zip(s.fparams, s.v)]
        gp = flat(functorch.grad(s.floss)(tuple(plus)))
        gm = flat(functorch.grad(s.floss)(tuple(minus)))
        hv_fd = (gp - gm) / (2 * eps)
        check(workload + " hvp double_backward == functorch", rel(hv_db, hv_fx) < 1e-10, "rel %.2e" % rel(hv_db, hv_fx))
        check(workload + " hvp == finite difference", rel(hv_db, hv_fd) < 1e-6, "rel %.2e" % rel(hv_db, hv_fd))
        a, b = hvp10_double_backward(s), hvp10_functorch(s)
        exact = sum(dot(v, hvp_double_backward(s, v)) for v in s.v10) / 10
        check(workload + " hvp10 double_backward == functorch", abs(a - b) <= 1e-10 * abs(b) + 1e-300,
              "%.15g vs %.15g" % (a, b))
        check(workload + " hvp10 == mean of single HVPs", abs(a - exact) <= 1e-10 * abs(exact), "%.15g vs %.15g" % (a, exact))
        try:
            c = hvp10_vmap(s)
            check(workload + " hvp10 functorch_vmap == double_backward", abs(c - a) <= 1e-10 * abs(a), "%.15g vs %.15g" % (c, a))
        except Exception as e:
            print("INFO %s hvp10 functorch_vmap unavailable: %s" % (workload, one_line(e)))

    # The authors' loop on W1 against the closed form. For an affine classifier with x~ = [x; 1] and
    # S = diag(p) - p p^T, the single-point Hessian is S (x) x~ x~^T: trace (||x||^2+1)(1-||p||^2), Frobenius^2
    # ||S||_F^2 ||x~||^4, diagonal^2 sum_c S_cc^2 sum_i x~_i^4. One Rademacher probe v.Hv has variance
    # 2 (||H||_F^2 - sum_i H_ii^2), so after k probes the estimate's standard deviation is sqrt(2 off / k).
    points = 40
    s = Setup("W1", "f64", points)
    traces, probes = perpoint_traces(s, points)
    with torch.no_grad():
        p = torch.softmax(s.model(s.x), 1)
        xt = torch.cat([s.x, torch.ones(points, 1, dtype=s.x.dtype)], 1)
        n2 = (xt * xt).sum(1)
        exact = n2 * (1 - (p * p).sum(1))
        S = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)
        off = (S * S).sum((1, 2)) * n2 * n2 - (torch.diagonal(S, dim1=1, dim2=2) ** 2).sum(1) * (xt ** 4).sum(1)
        sigma = torch.sqrt(2 * off / torch.tensor(probes, dtype=off.dtype))
    z = (torch.tensor(traces, dtype=exact.dtype) - exact) / sigma
    mean_err = abs(sum(traces) / points - float(exact.mean()))
    mean_sigma = float(torch.sqrt((sigma ** 2).sum())) / points
    check("W1 perpoint: every point within 5 sigma of the closed form", float(z.abs().max()) < 5,
          "max |z| %.2f, mean |z| %.2f, probes mean %.1f (min %d, max %d)"
          % (float(z.abs().max()), float(z.abs().mean()), sum(probes) / points, min(probes), max(probes)))
    check("W1 perpoint: mean trace within 4 sigma of the closed form's mean", mean_err < 4 * mean_sigma,
          "estimate %.6g, exact %.6g, sigma of the mean %.3g" % (sum(traces) / points, float(exact.mean()), mean_sigma))
    selftest_shared_and_exact(check)
    print("%d FAIL" % len(failures) if failures else "ALL PASS")
    return 1 if failures else 0


def selftest_shared_and_exact(check):
    """The shared generator against Java's SplittableRandom (values printed by Java 25 for seed 1701; our
    SharedInstanceTest asserts the same), and both exact per-point methods against the trace of the dense
    Hessian of each point's loss (torch.autograd.functional.hessian on the flat parameters) on a small MLP and a
    small ReLU/max-pool CNN: the CNN's Hessian is not its Gauss-Newton matrix, but their traces agree."""
    u = shared_uniform(1701, 5)
    java = [0.9584652637826985, 0.513881054120751, 0.5439530890175969, 0.5163534979916017, 0.3851133299237963]
    check("shared_uniform == Java SplittableRandom(1701).nextDouble()", list(u) == java, "%r" % list(u))
    for workload, points in (("TINY", 6), ("TINYCNN", 5)):
        s = SharedSetup(*build_model(workload), torch.float64, points)
        s.y = s.y % s.model[-1].out_features   # the small models have fewer than 10 classes
        shapes = [p.shape for p in s.fparams]
        sizes = [p.numel() for p in s.fparams]
        dense = []
        for n in range(points):
            def loss_flat(flat):
                ps = tuple(c.view(sh) for c, sh in zip(flat.split(sizes), shapes))
                return F.cross_entropy(s.fmodel(ps, s.x[n:n + 1]), s.y[n:n + 1])
            h = torch.autograd.functional.hessian(loss_flat, flat(s.fparams))
            dense.append(float(torch.trace(h)))
        dense = torch.tensor(dense, dtype=torch.float64)
        for name, fn in (("vmap_class_grads", perpoint_class_grads), ("vmap_jacrev", perpoint_jacrev)):
            t = fn(s, points, chunk=2)
            check("%s %s == dense Hessian trace per point" % (workload, name), rel(t, dense) < 1e-10,
                  "rel %.2e, traces %s" % (rel(t, dense), ", ".join("%.6g" % v for v in dense.tolist())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (interop is always 1)")
    ap.add_argument("--selftest", action="store_true", help="run the checks in f64 and exit")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    if args.selftest:
        torch.set_default_dtype(torch.float64)
        sys.exit(selftest())
    serve(args.threads)


if __name__ == "__main__":
    main()
