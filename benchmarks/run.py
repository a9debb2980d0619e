#!/usr/bin/env python3
"""Benchmark mlpgrad against hand-written NumPy and PyTorch eager: `make bench`.

    python benchmarks/run.py                    # all workloads, full run (~1–2 min)
    python benchmarks/run.py --quick            # a few seconds, fewer repeats, shorter W6 chain
    python benchmarks/run.py --workloads W1,W3 --repeat 21 --json out/bench.json

For every workload it first checks that mlpgrad and the NumPy baseline compute
the same thing (weights after 3 SGD steps agree to rtol 1e-9 in float64,
1e-4 in float32; for W6 the input gradient) and skips the timing, loudly, if
they do not. Then it times the systems *interleaved* in one process: each
repeat runs a block of steps of every system in turn (rotating the order), so
machine noise hits all of them alike, and reports the median time per step.
Peak memory of one step (tracemalloc: NumPy buffers and Python objects) is
measured for the large workloads, and a growth check compares the traced
memory after N and after 2N steps. Minor page faults per step are counted for
every system. Finally numpy and mlpgrad are each timed alone in fresh processes
(nothing else imported), the comparison a user of either would make. The C
allocator is the one `import autograd` sets up for every system (`--malloc
default` keeps glibc's own settings; benchmarks/README.md, "Page faults").

BLAS threads are pinned to 1 (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
MKL_NUM_THREADS, set below before NumPy is imported; `--threads` changes it)
so that NumPy, mlpgrad and "torch 1 thread" compare like for like. "torch N
threads" additionally runs PyTorch with one thread per available core (its
default). The garbage collector stays on, but what exists before timing starts is
frozen (gc.freeze) so that collections do not also walk torch's objects.
"""
from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="few repeats, short blocks, W6 with 10,000 ops (for smoke tests)")
    p.add_argument("--workloads", default="W1,W2,W3,W4,W5,W6,W7",
                   help="comma-separated workload keys (default: all)")
    p.add_argument("--repeat", type=int, default=None,
                   help="timed blocks per system (default 15, W6 5; --quick: 3)")
    p.add_argument("--json", metavar="PATH", help="also write all results (and raw samples) as JSON")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS/OpenMP threads for NumPy and mlpgrad (default 1)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    p.add_argument("--no-jax", action="store_true", help="skip the jax.jit column even if jax is installed")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="wall: elapsed time (default); cpu: this process's CPU time, steadier on a "
                        "busy machine (for torch N threads it adds up all threads' time)")
    p.add_argument("--malloc", choices=["tuned", "default"], default="tuned",
                   help="tuned: glibc's malloc as `import autograd` sets it (freed memory kept for the "
                        "next step), for every system in the process (default); default: glibc's own "
                        "settings for every system (MLPGRAD_MALLOC=default)")
    p.add_argument("--alone-repeats", type=int, default=None,
                   help="fresh processes per system and workload in the one-system-alone table "
                        "(default 3; --quick: 1; 0 skips the table)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory and growth measurements")
    p.add_argument("--w6-ops", type=int, default=None, help="override the W6 chain length")
    p.add_argument("--standalone-child", nargs=3, metavar=("KEY", "SYSTEM", "STEPS"), help=argparse.SUPPRESS)
    p.add_argument("--block-ms", type=float, default=None,
                   help="target length of one timed block (default 40 ms; --quick: 8 ms)")
    return p.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
_THREADS = str(ARGS.threads if ARGS else 1)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    if __name__ == "__main__":
        os.environ[_var] = _THREADS   # must happen before numpy (and torch) are imported
if ARGS is not None:
    os.environ["MLPGRAD_MALLOC"] = ARGS.malloc   # read when autograd is imported (children inherit it)

import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

try:
    import resource  # noqa: E402  (POSIX only: page-fault counts)
except ImportError:  # pragma: no cover
    resource = None

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.append(_ROOT)   # appended: PYTHONPATH=/some/copy still wins for autograd/nn

import numpy as np  # noqa: E402

from benchmarks import workloads as W  # noqa: E402

CHECK_STEPS = 3
RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}
LABELS = {"numpy": "numpy manual", "mlpgrad": "mlpgrad", "compiled": "mlpgrad compiled", "jax": "jax.jit",
          "torch1": "torch 1 thread", "torchN": "torch {n} threads"}


# -- machine -------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def n_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_info(torch_mod) -> dict:
    info = {
        "cpu": cpu_model(), "cores": n_cores(), "python": platform.python_version(),
        "platform": platform.platform(), "numpy": np.__version__,
        "torch": getattr(torch_mod, "__version__", None),
        "env_threads": {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    }
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:
        info["numpy_blas"] = "unknown"
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [f"{d.get('internal_api')}:{d.get('num_threads')}" for d in threadpool_info()]
    except Exception:
        info["threadpools"] = ["threadpoolctl not installed"]
    import autograd
    info["autograd_path"] = os.path.dirname(autograd.__file__)
    return info


# -- correctness ---------------------------------------------------------------------------
def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.abs(b), np.finfo(b.dtype).tiny)
    return float(np.max(np.abs(a.astype(np.float64) - b) / scale)) if a.size else 0.0


def check(wl, systems: list[str], torch_mod) -> dict:
    """Run CHECK_STEPS steps (W6: 1) of each system from the same start and compare to NumPy."""
    steps = 1 if wl.kind == "chain" else CHECK_STEPS
    rtol = RTOL[np.dtype(wl.dtype)]
    atol = rtol * 1e-3
    ref_runner = W.make_runner("numpy", wl)
    for _ in range(steps):
        ref_runner.step()
    ref = [np.array(a, dtype=np.float64) for a in ref_runner.state()]
    out = {"rtol": rtol, "steps": steps, "systems": {}}
    for system in systems:
        if system == "numpy" or system == "torchN":
            continue
        if system == "torch1":
            torch_mod.set_num_threads(1)
        try:
            r = W.make_runner(system, wl)
            for _ in range(steps):
                r.step()
            got = r.state()
        except Exception as e:  # a broken library must not crash the whole benchmark
            out["systems"][system] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            continue
        if len(got) != len(ref) or any(g.shape != f.shape for g, f in zip(got, ref)):
            out["systems"][system] = {"ok": False, "error": "state shapes differ from the NumPy baseline"}
            continue
        ok = all(np.allclose(g, f, rtol=rtol, atol=atol * max(1.0, float(np.abs(f).max(initial=0))))
                 for g, f in zip(got, ref))
        worst = max(_max_rel(g, f) for g, f in zip(got, ref))
        out["systems"][system] = {"ok": bool(ok), "max_rel_diff": worst}
    return out


# -- timing --------------------------------------------------------------------------------
def _set_threads(system: str, torch_mod, n: int) -> None:
    if system == "torch1":
        torch_mod.set_num_threads(1)
    elif system == "torchN":
        torch_mod.set_num_threads(n)


CLOCK = time.perf_counter


def _minflt() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


def _time_block(step, k: int, faults: list | None = None) -> float:
    clock = CLOCK
    f0 = _minflt()
    t0 = clock()
    for _ in range(k):
        step()
    t = (clock() - t0) / k
    if faults is not None:
        faults.append((_minflt() - f0) / k)
    return t


def time_systems(wl, systems: list[str], torch_mod, repeats: int, block_s: float, ncores: int) -> dict:
    """Median seconds per step for each system, blocks interleaved round-robin."""
    runners, ks = {}, {}
    for s in systems:
        _set_threads(s, torch_mod, ncores)
        runners[s] = W.make_runner(s, wl)
        runners[s].step()                                   # warm-up (first-call costs, allocator)
        t = _time_block(runners[s].step, 1)
        ks[s] = max(1, math.ceil(block_s / max(t, 1e-9))) if wl.kind != "chain" else 1
    # Objects that exist now (the harness, torch's and NumPy's module state, the data) go to
    # the permanent generation: the collector stays on, but a full collection triggered by a
    # step then scans only what the steps themselves created, as in a process that runs just
    # one of these systems.
    gc.collect()
    gc.freeze()
    samples: dict[str, list[float]] = {s: [] for s in systems}
    faults: dict[str, list[float]] = {s: [] for s in systems}
    for r in range(repeats):
        order = systems[r % len(systems):] + systems[:r % len(systems)]
        for s in order:
            _set_threads(s, torch_mod, ncores)
            samples[s].append(_time_block(runners[s].step, ks[s], faults[s]))
    gc.unfreeze()
    if torch_mod is not None:
        torch_mod.set_num_threads(1)
    return {s: {"median_s": statistics.median(v), "min_s": min(v), "steps_per_block": ks[s],
                "minor_faults_per_step": statistics.median(faults[s]), "samples_s": v,
                "compile_s": runners[s].extra.get("compile_s")}   # compiled / jax.jit: trace + build
            for s, v in samples.items()}


# -- memory --------------------------------------------------------------------------------
def step_peak(wl, system: str) -> int:
    """Peak traced bytes allocated during one step, after a warm-up step (state excluded)."""
    r = W.make_runner(system, wl)
    r.step()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        r.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


def growth(wl, system: str, n: int) -> dict:
    """Traced memory after n and after 2n steps (after a warm-up step); growth should be ~0."""
    r = W.make_runner(system, wl)
    r.step()
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(n):
            r.step()
        gc.collect()
        m1 = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            r.step()
        gc.collect()
        m2 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return {"steps": n, "after_n": m1, "after_2n": m2, "growth": m2 - m1}


def standalone(wl, system: str, steps: int) -> dict | None:
    """Time `steps` steps of one system in a fresh process: nothing else loaded, the same allocator."""
    import subprocess
    cmd = [sys.executable, os.path.abspath(__file__), "--standalone-child", wl.key, system, str(steps)]
    try:
        out = subprocess.run(cmd + (["--w6-ops", str(wl.n_ops)] if wl.kind == "chain" else []),
                             capture_output=True, text=True, timeout=600)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except Exception:
        return None


def alone_table(wl, repeats: int, budget_s: float) -> dict | None:
    """numpy and mlpgrad each alone in fresh processes, alternating, `repeats` times; medians."""
    if repeats < 1:
        return None
    probe = W.make_runner("numpy", wl)
    probe.step()
    t0 = time.perf_counter()
    probe.step()
    steps = max(2, min(2000, int(budget_s / max(time.perf_counter() - t0, 1e-6))))
    runs: dict[str, list[dict]] = {"numpy": [], "mlpgrad": []}
    for _ in range(repeats):
        for system in runs:
            r = standalone(wl, system, steps)
            if r is None:
                return None
            runs[system].append(r)
    return {s: {k: statistics.median(r[k] for r in v) for k in v[0]} | {"steps": steps}
            for s, v in runs.items()}


def _standalone_child(key: str, system: str, steps: int) -> int:
    import autograd  # noqa: F401  (sets the allocator as MLPGRAD_MALLOC says, for numpy's run too)
    wl = W.WORKLOADS[key]
    if wl.kind == "chain" and ARGS.w6_ops:
        wl = wl.scaled(ARGS.w6_ops)
    r = W.make_runner(system, wl)
    r.step()
    r.step()
    gc.collect()
    gc.freeze()
    u0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(steps):
        r.step()
    t = time.perf_counter() - t0
    u1 = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_s": t / steps, "user_s": (u1.ru_utime - u0.ru_utime) / steps,
                      "sys_s": (u1.ru_stime - u0.ru_stime) / steps,
                      "minor_faults": (u1.ru_minflt - u0.ru_minflt) / steps}))
    return 0


# -- report --------------------------------------------------------------------------------
def _us(s: float | None) -> str:
    return "—" if s is None else f"{s * 1e6:,.0f}"


def _bytes(b: int | None) -> str:
    if b is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(b) < 1024 or unit == "GiB":
            return f"{b:,.0f} {unit}" if unit == "B" else f"{b:,.1f} {unit}"
        b /= 1024
    return str(b)


def _faults(res: dict) -> str:
    t = res.get("timing") or {}
    if "numpy" not in t or "mlpgrad" not in t:
        return "—"
    return f"{t['numpy']['minor_faults_per_step']:,.0f} · {t['mlpgrad']['minor_faults_per_step']:,.0f}"


def goal_met(wl, res: dict) -> str:
    t = res.get("timing")
    if not t or "mlpgrad" not in t:
        return "—"
    ratio = t["mlpgrad"]["median_s"] / t["numpy"]["median_s"]
    ok = ratio <= wl.goal
    if wl.key == "W3" and "torch1" in t:
        ok = ok and t["mlpgrad"]["median_s"] <= t["torch1"]["median_s"]
    return "yes" if ok else "**no**"


def report(results: list[dict], info: dict, systems: list[str], ncores: int, quick: bool) -> str:
    L = []
    L.append("## Machine\n")
    L.append(f"- CPU: {info['cpu']} — {info['cores']} core(s) available; {info['platform']}")
    L.append(f"- Python {info['python']}, NumPy {info['numpy']} ({info['numpy_blas']}), "
             f"torch {info['torch'] or 'not available'}")
    L.append(f"- threads: {', '.join(f'{k}={v}' for k, v in info['env_threads'].items())}; "
             f"pools: {', '.join(info['threadpools'])}")
    L.append(f"- autograd imported from {info['autograd_path']}")
    L.append(f"- clock: {info.get('clock', 'wall')} time; C allocator: {info.get('malloc', 'default')}")
    if quick:
        L.append("- **--quick run**: few repeats and a shorter W6 chain; numbers are indicative only")
    L.append("")

    head = ["", "workload"] + [LABELS[s].format(n=ncores) + " µs" for s in systems]
    head += ["mlpgrad / numpy", "goal"]
    if "compiled" in systems:
        head += ["compiled / numpy", "compile ms" + (" (compiled · jax)" if "jax" in systems else "")]
    if "torch1" in systems:
        head += ["torch 1T / mlpgrad"]
    head += ["goal met", "check"]
    L.append("## Median time per training step (forward + loss + backward + SGD; W6: forward + backward)\n")
    L.append("| " + " | ".join(head) + " |")
    L.append("|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 4) + ["---", "---"]) + "|")
    for res in results:
        wl = res["workload_obj"]
        t = res.get("timing") or {}
        row = [wl.key, f"{wl.title}: {wl.describe()}"]
        row += [_us(t[s]["median_s"]) if s in t else "—" for s in systems]
        ratio = (t["mlpgrad"]["median_s"] / t["numpy"]["median_s"]) if "mlpgrad" in t and "numpy" in t else None
        row += [f"{ratio:.2f}×" if ratio else "—", f"≤ {wl.goal}×" + (f" {wl.extra_goal}" if wl.extra_goal else "")]
        if "compiled" in systems:
            cr = (t["compiled"]["median_s"] / t["numpy"]["median_s"]) if "compiled" in t and "numpy" in t else None
            ms = [f"{t[s]['compile_s'] * 1e3:.0f}" if s in t and t[s].get("compile_s") else "—"
                  for s in ("compiled", "jax") if s in systems]
            row += [f"{cr:.2f}×" if cr else "—", " · ".join(ms)]
        if "torch1" in systems:
            tr = (t["torch1"]["median_s"] / t["mlpgrad"]["median_s"]) if "torch1" in t and "mlpgrad" in t else None
            row += [f"{tr:.2f}×" if tr else "—"]
        row += [goal_met(wl, res), res["check_summary"]]
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append("Ratios: mlpgrad / numpy > 1 means mlpgrad is slower than hand-written NumPy; "
             "torch / mlpgrad > 1 means mlpgrad is faster than PyTorch.")
    L.append("")

    mem_rows = [r for r in results if r.get("peak") or r.get("growth")]
    if mem_rows:
        L.append("## Memory (tracemalloc: NumPy buffers + Python objects)\n")
        L.append("Peak of one step. mlpgrad keeps every intermediate tensor's `.grad` (drawings show "
                 "them); `backward(retain_grads=False)` keeps only the parameters' (PyTorch's default, "
                 "and what `nn.fit` uses).\n")
        L.append("| | peak, numpy | peak, mlpgrad | mlpgrad / numpy | peak, mlpgrad retain_grads=False "
                 "| lean / numpy (goal ≤ 1.5×) | growth N→2N steps, numpy | growth, mlpgrad | no growth "
                 "| page faults / step, numpy · mlpgrad |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for res in mem_rows:
            pk, gr = res.get("peak") or {}, res.get("growth") or {}

            def rel(s: str) -> str:
                return f"{pk[s] / pk['numpy']:.2f}×" if pk.get(s) and pk.get("numpy") else "—"
            gn, gm = gr.get("numpy"), gr.get("mlpgrad")
            ok = "—"
            if gm is not None:
                ok = "yes" if gm["growth"] <= 64 * 1024 else "**no**"
            L.append("| " + " | ".join([
                res["workload_obj"].key, _bytes(pk.get("numpy")), _bytes(pk.get("mlpgrad")), rel("mlpgrad"),
                _bytes(pk.get("mlpgrad-lean")), rel("mlpgrad-lean"),
                f"{_bytes(gn['growth'])} (N={gn['steps']})" if gn else "—",
                f"{_bytes(gm['growth'])} (N={gm['steps']})" if gm else "—", ok, _faults(res)]) + " |")
        L.append("")
    alone = [r for r in results if r.get("standalone")]
    if alone:
        L.append(f"## Fresh process, one system alone (C allocator: {info.get('malloc', 'tuned')})\n")
        L.append("Each system runs by itself in a new process, as a user runs it (nothing else "
                 "imported, no shared heap); numpy and mlpgrad alternate, and the table shows "
                 "the median of the processes.\n")
        L.append("| | numpy µs (user + sys) | numpy faults / step | mlpgrad µs (user + sys) "
                 "| mlpgrad faults / step | mlpgrad / numpy | goal | goal met |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---|")
        for res in alone:
            wl = res["workload_obj"]
            a, b = res["standalone"]["numpy"], res["standalone"]["mlpgrad"]
            ratio = b["wall_s"] / a["wall_s"]
            L.append(f"| {wl.key} | {_us(a['wall_s'])} ({_us(a['user_s'])} + {_us(a['sys_s'])}) "
                     f"| {a['minor_faults']:,.0f} | {_us(b['wall_s'])} ({_us(b['user_s'])} + {_us(b['sys_s'])}) "
                     f"| {b['minor_faults']:,.0f} | {ratio:.2f}× | ≤ {wl.goal}× | "
                     f"{'yes' if ratio <= wl.goal else '**no**'} |")
        L.append("")
    return "\n".join(L)


# -- main ----------------------------------------------------------------------------------
def main(args: argparse.Namespace) -> int:
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    from autograd import allocator   # importing autograd applies MLPGRAD_MALLOC (set above)
    if args.malloc == "tuned" and not allocator.tuned:
        print("run.py: --malloc tuned needs glibc's mallopt; using the default allocator", file=sys.stderr)
    keys = [k.strip().upper() for k in args.workloads.split(",") if k.strip()]
    unknown = [k for k in keys if k not in W.WORKLOADS]
    if unknown or not keys:
        print(f"run.py: unknown workload(s) {unknown or args.workloads!r}; expected some of {list(W.WORKLOADS)}",
              file=sys.stderr)
        return 2
    torch_mod = None
    if not args.no_torch and W.torch_available():
        import torch as torch_mod
        torch_mod.set_num_threads(1)
    ncores = n_cores()
    systems = ["numpy", "mlpgrad", "compiled"]
    if not args.no_jax and W.jax_available():
        systems.append("jax")
    if torch_mod is not None:
        systems += ["torch1"] + (["torchN"] if ncores > 1 else [])
    info = machine_info(torch_mod)
    info["clock"] = args.clock
    info["malloc"] = (f"tuned by `import autograd` (mallopt: trim threshold {allocator.TRIM_THRESHOLD >> 20} MiB, "
                      f"mmap threshold {allocator.MMAP_THRESHOLD >> 20} MiB)" if allocator.tuned
                      else "glibc defaults")

    block_s = (args.block_ms if args.block_ms else (8.0 if args.quick else 40.0)) / 1000
    results, failed = [], False
    for key in keys:
        wl = W.WORKLOADS[key]
        if wl.kind == "chain" and (args.w6_ops or args.quick):
            wl = wl.scaled(args.w6_ops or 10_000)
        repeats = args.repeat or (3 if args.quick else (5 if wl.kind == "chain" else 15))
        print(f"[{wl.key}] {wl.title}: {wl.describe()}", file=sys.stderr, flush=True)
        res: dict = {"workload": wl.key, "workload_obj": wl, "description": wl.describe()}
        chk = check(wl, systems, torch_mod)
        res["check"] = chk
        mg = chk["systems"].get("mlpgrad", {})
        if not mg.get("ok"):
            failed = True
            why = mg.get("error") or f"max relative difference {mg.get('max_rel_diff'):.3g} > rtol {chk['rtol']:g}"
            msg = (f"[{wl.key}] CORRECTNESS CHECK FAILED: mlpgrad and the NumPy baseline disagree after "
                   f"{chk['steps']} step(s) ({why}); not timing this workload")
            print(msg, file=sys.stderr, flush=True)
            res["check_summary"] = "**FAILED** (not timed)"
            results.append(res)
            continue
        timed = list(systems)
        notes = [f"mlpgrad ok (max rel diff {mg['max_rel_diff']:.1e})"]
        tc = chk["systems"].get("torch1")
        if tc is not None:
            if tc.get("ok"):
                notes.append(f"torch ok ({tc['max_rel_diff']:.1e})")
            else:
                notes.append("torch **mismatch** (not timed)")
                timed = [s for s in timed if not s.startswith("torch")]
        for s in ("compiled", "jax"):
            sc = chk["systems"].get(s)
            if s in timed and sc is not None and not sc.get("ok"):
                timed.remove(s)
                if not (s == "jax" and wl.kind == "chain"):
                    notes.append(f"{s} **mismatch** (not timed)")
            elif sc is not None:
                notes.append(f"{s} ok ({sc['max_rel_diff']:.1e})")
        res["check_summary"] = "; ".join(notes)
        print(f"[{wl.key}] check: {res['check_summary']}", file=sys.stderr, flush=True)
        res["timing"] = time_systems(wl, timed, torch_mod, repeats, block_s, ncores)
        if not args.no_memory:
            if wl.key in ("W3", "W4"):
                res["peak"] = {s: step_peak(wl, s) for s in ("numpy", "mlpgrad", "mlpgrad-lean")}
            n = 1 if wl.kind == "chain" else (5 if args.quick else 30)
            res["growth"] = {s: growth(wl, s, n) for s in ("numpy", "mlpgrad")}
        alone_repeats = args.alone_repeats if args.alone_repeats is not None else (1 if args.quick else 3)
        if resource is not None:
            res["standalone"] = alone_table(wl, alone_repeats, 0.1 if args.quick else 0.6)
        t = res["timing"]
        print(f"[{wl.key}] " + ", ".join(f"{s} {_us(v['median_s'])} µs" for s, v in t.items()),
              file=sys.stderr, flush=True)
        results.append(res)

    print(report(results, info, systems, ncores, args.quick))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        dump = {"machine": info, "quick": args.quick, "systems": systems, "results": [
            {k: v for k, v in r.items() if k != "workload_obj"} for r in results]}
        with open(args.json, "w") as f:
            json.dump(dump, f, indent=2, default=float)
    if failed:
        print("run.py: at least one correctness check failed (see above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if ARGS.standalone_child:
        k, s, n = ARGS.standalone_child
        sys.exit(_standalone_child(k, s, int(n)))
    sys.exit(main(ARGS))
