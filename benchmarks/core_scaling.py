"""Are this machine's cores independent? Throughput of one CPU-bound process alone, then two at once.

    python benchmarks/core_scaling.py

Two one-thread loops (a torch matrix product, a pure Python loop), 8 s each: alone, then two side by side. A total
near 2x the single one says the two CPUs are independent cores; near 1x-1.3x, hyper-threads of one core or a shared
limit. Used to read the grading benchmark (docs/grading.md): whether concurrent gradings can scale at all.
"""
import multiprocessing as mp, time, os, json, sys

def work(seconds, q):
    import torch
    torch.set_num_threads(1)
    a = torch.randn(256, 256)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a = (a @ a).tanh_(); n += 1
    c = time.process_time()
    q.put((n / (time.perf_counter() - t0), c))

def python_work(seconds, q):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        sum(i * i for i in range(1000)); n += 1
    q.put((n / (time.perf_counter() - t0), time.process_time()))

def run(target, k, seconds=8):
    q = mp.Queue(); ps = [mp.Process(target=target, args=(seconds, q)) for _ in range(k)]
    [p.start() for p in ps]; [p.join() for p in ps]
    return [q.get() for _ in ps]

if __name__ == "__main__":
    out = {}
    for name, target in (("torch matmul, 1 thread", work), ("pure Python loop", python_work)):
        one = run(target, 1)[0][0]
        two = [r[0] for r in run(target, 2)]
        out[name] = {"alone_per_s": round(one, 1), "two_at_once_per_s": [round(x, 1) for x in two],
                     "two_at_once_total_vs_alone": round(sum(two) / one, 2)}
    print(json.dumps(out, indent=2))
