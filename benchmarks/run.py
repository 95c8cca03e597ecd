"""Time retrograd's gradients against hand-written NumPy adjoints and other AD tools.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [--quick]
        [--only NAME ...] [--json PATH]

Everything runs in one process. For every workload and size, each tool's gradient is first
checked against the hand-written adjoint (np.allclose); then all tools are timed in interleaved
rounds (so that a noisy stretch of the machine hits all of them alike) with time.perf_counter,
after warm-up, and the median is reported. Peak memory is measured with tracemalloc around one
gradient call (NumPy reports its allocations to tracemalloc; JAX and PyTorch do not, so they get
no memory figure). Tools that are not installed are skipped with a note.
"""
import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402


# --- the tools ----------------------------------------------------------------------------------

class Tool:
    """A way of computing a workload's gradient: ``prepare(workload, args)`` returns a
    zero-argument callable that computes it, and ``to_numpy`` turns its result into a tuple of
    NumPy values for checking."""
    name = ""
    numpy_memory = True        # its allocations are visible to tracemalloc

    def prepare(self, workload, args):
        raise NotImplementedError

    def to_numpy(self, result):
        return result if isinstance(result, tuple) else (result,)


class HandWritten(Tool):
    name = "hand"

    def prepare(self, workload, args):
        return lambda: workload.adjoint(*args)


class Forward(Tool):
    name = "forward"

    def prepare(self, workload, args):
        return lambda: workload.forward(*args)


class Retrograd(Tool):
    name = "retrograd"

    def __init__(self, rg):
        self.rg = rg

    def prepare(self, workload, args):
        derived = self.rg.grad(workload.forward, wrt=workload.wrt)
        return lambda: derived(*args)


class RetrogradGenerated(Retrograd):
    """The generated function alone, without the API wrapper that binds arguments, looks up
    the compiled module and shapes the result: what `retrograd transpile` output costs."""
    name = "rg-code"

    def prepare(self, workload, args):
        derived = self.rg.grad(workload.forward, wrt=workload.wrt)
        derived(*args)
        spec = derived.__retrograd__
        module = spec.module(spec.kinds(spec.bind(args, {})))
        generated = module.functions[module.entry]
        return lambda: generated(*args)


class Autograd(Tool):
    name = "autograd"

    def __init__(self, autograd, anp):
        self.autograd, self.anp = autograd, anp

    def prepare(self, workload, args):
        gradient = self.autograd.grad(W.rebind(workload.forward, self.anp), workload.wrt)
        return lambda: gradient(*args)


class JaxEager(Tool):
    name = "jax"
    numpy_memory = False

    def __init__(self, jax, jnp):
        self.jax, self.jnp = jax, jnp

    def arguments(self, args):
        return tuple(self.jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)

    def gradient(self, workload):
        return self.jax.grad(W.rebind(workload.forward, self.jnp), argnums=workload.wrt)

    def prepare(self, workload, args):
        gradient, jargs = self.gradient(workload), self.arguments(args)
        block = self.jax.block_until_ready
        return lambda: block(gradient(*jargs))

    def to_numpy(self, result):
        return tuple(np.asarray(r) for r in super().to_numpy(result))


class JaxJit(JaxEager):
    name = "jax-jit"

    def gradient(self, workload):
        if workload.no_jit:
            raise Unsupported(workload.no_jit)
        return self.jax.jit(super().gradient(workload))


class Torch(Tool):
    name = "torch"
    numpy_memory = False

    def __init__(self, torch):
        self.torch = torch
        self.shim = W.TorchNumpy(torch)

    def prepare(self, workload, args):
        torch = self.torch
        wrt = W.positions(workload)
        targs = [torch.tensor(a, dtype=torch.float64, requires_grad=i in wrt)
                 if isinstance(a, (np.ndarray, float)) else a for i, a in enumerate(args)]
        leaves = [targs[i] for i in wrt]
        forward = W.rebind(workload.forward, self.shim)
        return lambda: torch.autograd.grad(forward(*targs), leaves)

    def to_numpy(self, result):
        return tuple(r.detach().numpy() for r in result)


class Unsupported(Exception):
    """A tool that cannot run this workload (reported as n/a with the reason)."""


def available_tools():
    """The tools that are installed, and a note for each one that is not."""
    import retrograd as rg
    tools = [Forward(), HandWritten(), Retrograd(rg), RetrogradGenerated(rg)]
    notes = []
    try:
        import autograd
        import autograd.numpy as anp
        tools.append(Autograd(autograd, anp))
    except ImportError:
        notes.append("autograd not installed (pip install autograd): skipped")
    try:
        import jax
        jax.config.update("jax_enable_x64", True)      # float64, like the NumPy programs
        jax.config.update("jax_platforms", "cpu")
        import jax.numpy as jnp
        tools += [JaxEager(jax, jnp), JaxJit(jax, jnp)]
    except ImportError:
        notes.append("jax not installed (pip install jax jaxlib): skipped")
    try:
        import torch
        tools.append(Torch(torch))
    except ImportError:
        notes.append("torch not installed (pip install torch): skipped")
    return tools, notes


# --- measuring ----------------------------------------------------------------------------------

def same_gradient(got, want, rtol=1e-6, atol=1e-9):
    """Whether two tuples of gradients agree elementwise (shapes included)."""
    if len(got) != len(want):
        return False
    return all(np.shape(g) == np.shape(w) and np.allclose(g, w, rtol=rtol, atol=atol)
               for g, w in zip(got, want))


def timed_rounds(calls, budget, min_rounds, max_rounds, sample=2e-3):
    """Median seconds per call of each callable, timed in interleaved rounds.

    Each sample runs a callable ``inner`` times back to back so that one sample lasts about
    ``sample`` seconds (timer resolution and loop overhead then do not matter); the number of
    rounds fits ``budget`` seconds, within [min_rounds, max_rounds]."""
    inner = {}
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        once = time.perf_counter() - start
        inner[name] = max(1, int(sample / max(once, 1e-9)))
    per_round = 0.0
    for name, call in calls.items():
        per_round += _sample(call, inner[name]) * inner[name]
    rounds = int(min(max_rounds, max(min_rounds, budget / max(per_round, 1e-9))))
    samples = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].append(_sample(call, inner[name]))
    return {name: statistics.median(values) for name, values in samples.items()}, rounds


def _sample(call, inner):
    start = time.perf_counter()
    for _ in range(inner):
        call()
    return (time.perf_counter() - start) / inner


def peak_memory(call):
    """Peak bytes allocated (as tracemalloc sees them) during one call, above what was live."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak - before


def compile_latency(rg, repeats):
    """Milliseconds for the first call of ``rg.grad(f)`` on a 30-line function with loops:
    the first ever in this process (compiler modules not yet imported, if this runs first),
    then the median over fresh function objects (so that the cache cannot hit)."""
    args = W.compile_target_inputs(np.random.default_rng(0))
    times = []
    for _ in range(repeats + 1):
        function = W.fresh_compile_target()
        start = time.perf_counter()
        rg.grad(function)(*args)
        times.append(time.perf_counter() - start)
    return {"first_ms": times[0] * 1e3, "median_ms": statistics.median(times[1:]) * 1e3,
            "lines": _source_lines()}


def _source_lines():
    import inspect
    return len(inspect.getsource(W.compile_target).splitlines())


NUMPY_TOOLS = ("forward", "hand", "retrograd", "rg-code", "autograd")


def run_case(workload, size, tools, quick):
    """Check, time and measure every tool on one workload at one size."""
    args = W.make_inputs(workload, size)
    record = {"workload": workload.name, "size": size, "inputs": workload.sizes.get(size, ""),
              "seconds": {}, "peak_bytes": {}, "failed": {}, "unsupported": {}}
    want = HandWritten().to_numpy(workload.adjoint(*args))
    calls = {}
    for tool in tools:
        try:
            call = tool.prepare(workload, args)
            result = call()               # warm-up (retrograd compiles, jax.jit compiles)
            if tool.name != "forward":
                got = tool.to_numpy(result)
                if not same_gradient(got, want):
                    worst = max(float(np.max(np.abs(np.asarray(g) - np.asarray(w))))
                                for g, w in zip(got, want)) if len(got) == len(want) else None
                    record["failed"][tool.name] = f"gradient differs from hand-written " \
                                                  f"(max abs difference {worst})"
                    continue
            call()
        except Unsupported as reason:
            record["unsupported"][tool.name] = str(reason)
            continue
        except Exception as error:   # a tool that refuses the program: report, do not time
            record["failed"][tool.name] = f"{type(error).__name__}: {error}"
            continue
        calls[tool.name] = call
    budget, rounds = (0.2, (3, 5)) if quick else (4.0, (9, 41))
    # NumPy-based tools are interleaved; JAX and PyTorch run their own thread pools, whose
    # spinning threads would slow whatever runs next, so each is timed in a block of its own.
    shared = {n: c for n, c in calls.items() if n in NUMPY_TOOLS}
    record["seconds"], record["rounds"] = timed_rounds(shared, budget, *rounds)
    for name, call in calls.items():
        if name not in shared:
            record["seconds"].update(timed_rounds({name: call}, budget / 4, *rounds)[0])
    for tool in tools:
        if tool.name in calls and tool.numpy_memory:
            record["peak_bytes"][tool.name] = peak_memory(calls[tool.name])
    return record


# --- reporting ----------------------------------------------------------------------------------

def format_time(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_bytes(count):
    if count is None:
        return "-"
    for unit, scale in (("MB", 2 ** 20), ("kB", 2 ** 10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} B"


def ratio(a, b):
    return None if a is None or b is None else a / b


def format_ratio(value):
    return "-" if value is None else f"{value:.2f}" if value < 100 else f"{value:.0f}"


TIME_COLUMNS = ["forward", "hand", "retrograd", "rg-code", "autograd", "jax", "jax-jit", "torch"]


def tables(records):
    """The markdown tables: absolute times, ratios, memory."""
    lines = ["Median time of one gradient call (forward: the function alone)", "",
             "| workload | size | " + " | ".join(TIME_COLUMNS) + " |",
             "|---|---|" + "---:|" * len(TIME_COLUMNS)]
    for r in records:
        s = r["seconds"]
        cells = [format_time(s.get(c)) if c in s else
                 ("n/a" if c in r["unsupported"] else "FAIL" if c in r["failed"] else "-")
                 for c in TIME_COLUMNS]
        lines.append(f"| {r['workload']} | {r['size']} | " + " | ".join(cells) + " |")
    lines += ["", "Ratios (rg = retrograd through rg.grad; rg-code = its generated function "
                  "called directly)", "",
              "| workload | size | rg / hand | rg-code / hand | rg / forward | autograd / rg "
              "| jax / rg | jax-jit / rg | torch / rg |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in records:
        s = r["seconds"]
        rg = s.get("retrograd")
        cells = [ratio(rg, s.get("hand")), ratio(s.get("rg-code"), s.get("hand")),
                 ratio(rg, s.get("forward"))]
        cells += [ratio(s.get(c), rg) for c in ("autograd", "jax", "jax-jit", "torch")]
        lines.append(f"| {r['workload']} | {r['size']} | "
                     + " | ".join(format_ratio(c) for c in cells) + " |")
    lines += ["", "Peak memory of one gradient call (tracemalloc)", "",
              "| workload | size | hand | retrograd | rg / hand | autograd | autograd / hand |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for r in records:
        m = r["peak_bytes"]
        lines.append(f"| {r['workload']} | {r['size']} | {format_bytes(m.get('hand'))} | "
                     f"{format_bytes(m.get('retrograd'))} | "
                     f"{format_ratio(ratio(m.get('retrograd'), m.get('hand')))} | "
                     f"{format_bytes(m.get('autograd'))} | "
                     f"{format_ratio(ratio(m.get('autograd'), m.get('hand')))} |")
    return "\n".join(lines)


def targets(records, latency):
    """The issue's targets, each with met / MISSED and the offending cases."""
    def check(label, limit, pairs, better="below"):
        bad = [f"{name} {value:.2f}" for name, value in pairs
               if value is not None and (value > limit if better == "below" else value < limit)]
        return f"- {'MISSED' if bad else 'met'}: {label}" + (f" ({', '.join(bad)})" if bad else "")

    def pairs(size, top, bottom):
        return [(r["workload"], ratio(r["seconds"].get(top), r["seconds"].get(bottom)))
                for r in records if size in (None, r["size"])]

    memory = [(f"{r['workload']}/{r['size']}",
               ratio(r["peak_bytes"].get("retrograd"), r["peak_bytes"].get("hand")))
              for r in records]
    lines = [check("retrograd / hand <= 1.2 on small", 1.2, pairs("small", "retrograd", "hand")),
             check("retrograd / hand <= 1.05 on large", 1.05, pairs("large", "retrograd", "hand")),
             check("autograd / retrograd >= 10 on small", 10.0,
                   pairs("small", "autograd", "retrograd"), better="above"),
             check("jax (eager) / retrograd >= 1 everywhere", 1.0,
                   [(f"{r['workload']}/{r['size']}",
                     ratio(r["seconds"].get("jax"), r["seconds"].get("retrograd")))
                    for r in records], better="above"),
             check("peak memory retrograd / hand <= 1.2", 1.2, memory),
             check("gradient / forward <= 3 (cheap-gradient bound)", 3.0,
                   [(f"{r['workload']}/{r['size']}",
                     ratio(r["seconds"].get("retrograd"), r["seconds"].get("forward")))
                    for r in records])]
    if latency:
        lines.append(f"- {'met' if latency['median_ms'] < 100 else 'MISSED'}: compile latency "
                     f"well under 100 ms (median {latency['median_ms']:.0f} ms, first in "
                     f"process {latency['first_ms']:.0f} ms)")
    return "\n".join(lines)


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for module in ("autograd", "jax", "torch"):
        try:
            versions[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            pass
    try:
        with open("/proc/loadavg") as load:
            versions["loadavg"] = load.read().split()[0]
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, **versions,
            "openblas_env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                             if k in os.environ}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke test")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this workload (repeatable): " + ", ".join(W.BY_NAME))
    parser.add_argument("--size", choices=W.SIZES, action="append", help="only this size")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    options = parser.parse_args(argv)

    info = machine()
    if info["openblas_env"]:
        print(f"note: {info['openblas_env']} is set; the README's figures were taken with "
              "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`")
    import retrograd as rg
    latency = compile_latency(rg, 3 if options.quick else 9)   # first: before any other compile
    tools, notes = available_tools()
    for note in notes:
        print("note:", note)
    unknown = set(options.only or ()) - set(W.BY_NAME)
    if unknown:
        parser.error(f"unknown workload(s) {sorted(unknown)}; choose from {sorted(W.BY_NAME)}")
    chosen = [W.BY_NAME[n] for n in options.only] if options.only else W.WORKLOADS
    records = []
    for workload in chosen:
        for size in options.size or W.SIZES:
            record = run_case(workload, size, tools, options.quick)
            for tool, message in record["failed"].items():
                print(f"note: {workload.name}/{size}: {tool} skipped: {message}")
            records.append(record)
            print(f"done {workload.name}/{size}: {record['rounds']} rounds", file=sys.stderr)
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}; Python {info['python']}, NumPy "
          f"{info['numpy']}; load average at start {info.get('loadavg')}" + "".join(f", {m} {info[m]}" for m in ("autograd", "jax", "torch")
                                        if m in info))
    print(f"compile latency ({latency['lines']}-line function with loops): first rg.grad call "
          f"in process {latency['first_ms']:.0f} ms (imports the compiler), then median "
          f"{latency['median_ms']:.0f} ms per fresh function")
    print()
    print(tables(records))
    unsupported = {(r["workload"], t): why for r in records for t, why in r["unsupported"].items()}
    for (name, tool), why in sorted(unsupported.items()):
        print(f"\nn/a: {tool} on {name}: {why}")
    print("\nTargets:")
    print(targets(records, latency))
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"machine": info, "compile_latency": latency, "results": records,
                       "argv": sys.argv}, out, indent=1)
    return 1 if any(r["failed"] for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
