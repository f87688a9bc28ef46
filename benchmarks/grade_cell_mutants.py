"""How strong are the grade cells? Mutation testing of every graded solution definition.

Each graded definition of a solution notebook (the code of its solution cells) is mutated with operators that
model the mistakes students make: an activation dropped, a sigmoid inserted before a logit loss, ``mean`` and
``sum`` swapped, a reduction over the wrong dimension, ``.detach()`` removed or added, ``torch.no_grad()``
removed, ``zero_grad()`` deleted, a loss detached through ``float()``, a sign flipped, train and eval mode
swapped, a result moved to the CPU, an off-by-one in a ``range`` or a slice, a comparison loosened, a constant
changed, a value from a tuple unpacking passed where another belongs (decode the mean instead of the sample),
one noise draw reused. Only the part a student writes (between ``### BEGIN SOLUTION`` and ``### END SOLUTION``) is mutated;
signatures and given helpers are the release's. A mutant is **killed** when one of the notebook's grade cells, hidden tests included, fails (or crashes,
or runs past ``--timeout``) with the mutant in place of the solution, exactly as ``tests/test_grade_cells.py``
runs them: in process, no kernel, the fast profile. A mutant that no grade cell notices **survives**, unless it is
listed in ``benchmarks/grade_cell_mutants_equivalent.json`` with the reason it is a correct answer (a change that
does not change behaviour, such as ``.mean()`` over one element).

    python benchmarks/grade_cell_mutants.py --out benchmarks/results/grade-cell-mutants-DATE
    python benchmarks/grade_cell_mutants.py --notebooks 08_sn_wgan_gp --sample 5 --seed 0   # a few, as CI does

writes ``.json`` (per notebook under ``notebooks``: ``mutants``, ``killed``, ``equivalent``, ``survivors`` and
``kill_rate`` over the non-equivalent ones, then every mutant) and ``.md``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import datetime as dt
import json
import os
import random
import signal
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EQUIVALENT_FILE = Path(__file__).resolve().parent / "grade_cell_mutants_equivalent.json"

ACTIVATION_FUNCTIONS = {"relu", "leaky_relu", "tanh", "sigmoid", "gelu", "elu", "silu", "softplus_"}
ACTIVATION_MODULES = {"ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "ELU", "SiLU"}
LOGIT_LOSSES = {"softplus", "binary_cross_entropy_with_logits", "logsigmoid"}


@dataclass
class Mutant:
    notebook: str
    cell: str          # grade_id of the solution cell
    operator: str
    line: int
    col: int           # column of the mutated node: two mutants on one line stay apart
    description: str
    source: str        # the mutated cell
    outcome: str = ""  # killed / survived / equivalent
    killed_by: str = ""
    reason: str = ""


def _name(node: ast.AST) -> str:
    """``relu`` for ``F.relu`` / ``torch.relu`` / ``relu``; ``ReLU`` for ``nn.ReLU``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _sites(tree: ast.AST) -> Iterator[tuple[str, ast.AST, str, Callable[[ast.AST], ast.AST | None]]]:
    """Every (operator, node, description, replace) this tree offers; ``replace(node)`` returns the new node."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            yield from _function_sites(node)
        if isinstance(node, ast.Call):
            fname = _name(node.func)
            if fname in ACTIVATION_FUNCTIONS and node.args:
                yield "drop activation", node, f"{fname}(x) -> x", lambda n: n.args[0]
            if fname in ACTIVATION_MODULES:
                yield "drop activation", node, f"nn.{fname}() -> nn.Identity()", \
                    lambda n: ast.Call(ast.Attribute(ast.Name("nn", ast.Load()), "Identity", ast.Load()), [], [])
            if isinstance(node.func, ast.Attribute) and fname in ("relu", "tanh", "sigmoid") and not node.args:
                yield "drop activation", node, f"x.{fname}() -> x", lambda n: n.func.value
            if fname in LOGIT_LOSSES and node.args:
                def insert_sigmoid(n):
                    n = copy.deepcopy(n)
                    n.args[0] = ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "sigmoid", ast.Load()), [n.args[0]], [])
                    return n
                yield "sigmoid before a logit loss", node, f"{fname}(x) -> {fname}(sigmoid(x))", insert_sigmoid
            if fname in ("mean", "sum"):
                other = "sum" if fname == "mean" else "mean"

                def swap(n, other=other):
                    n = copy.deepcopy(n)
                    if isinstance(n.func, ast.Attribute):
                        n.func.attr = other
                    else:
                        n.func.id = other
                    return n
                yield "swap mean / sum", node, f"{fname} -> {other}", swap
                dims = [a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, int)] + \
                       [k.value for k in node.keywords if k.arg == "dim" and isinstance(k.value, ast.Constant)]
                for d in dims:
                    def other_dim(n, d=d):
                        n = copy.deepcopy(n)
                        for c in ast.walk(n):
                            if isinstance(c, ast.Constant) and c.value == d.value and c.lineno == d.lineno and c.col_offset == d.col_offset:
                                c.value = 0 if d.value != 0 else 1
                        return n
                    yield "reduction dimension", node, f"{fname} over dim {d.value} -> {0 if d.value != 0 else 1}", other_dim
            if fname == "detach" and isinstance(node.func, ast.Attribute) and not node.args:
                yield "remove detach", node, ".detach() removed", lambda n: n.func.value
            if fname in ("train", "eval") and isinstance(node.func, ast.Attribute) and not node.args:
                def flip_mode(n, fname=fname):
                    n = copy.deepcopy(n)
                    n.func.attr = "eval" if fname == "train" else "train"
                    return n
                yield "swap train / eval", node, f".{fname}() -> .{'eval' if fname == 'train' else 'train'}()", flip_mode
            if fname == "range" and node.args:
                def off_by_one(n):
                    n = copy.deepcopy(n)
                    i = 0 if len(n.args) == 1 else 1
                    n.args[i] = ast.BinOp(n.args[i], ast.Add(), ast.Constant(1))
                    return n
                yield "off by one", node, "range(n) -> range(n + 1)", off_by_one
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _name(node.value.func) == "zero_grad":
            yield "delete zero_grad", node, "zero_grad() deleted", lambda n: ast.Pass()
        elif isinstance(node, ast.With) and any(_name(i.context_expr.func) in ("no_grad", "inference_mode")
                                                for i in node.items if isinstance(i.context_expr, ast.Call)):
            yield "remove no_grad", node, "with torch.no_grad(): removed", \
                lambda n: ast.If(ast.Constant(True), n.body, [])
        elif isinstance(node, ast.Return) and node.value is not None and not isinstance(node.value, (ast.Tuple, ast.Constant)):
            yield "add detach", node, "return x -> return x.detach()", \
                lambda n: ast.Return(ast.Call(ast.Attribute(n.value, "detach", ast.Load()), [], []))
            yield "detach through float", node, "return x -> return torch.tensor(float(x))", \
                lambda n: ast.Return(ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "tensor", ast.Load()),
                                              [ast.Call(ast.Name("float", ast.Load()), [n.value], [])], []))
            yield "move to the CPU", node, "return x -> return x.cpu()", \
                lambda n: ast.Return(ast.Call(ast.Attribute(n.value, "cpu", ast.Load()), [], []))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield "flip sign", node, "-x -> x", lambda n: n.operand
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            def flip(n):
                n = copy.deepcopy(n)
                n.op = ast.Sub() if isinstance(n.op, ast.Add) else ast.Add()
                return n
            yield "flip sign", node, f"a {'+' if isinstance(node.op, ast.Add) else '-'} b -> a {'-' if isinstance(node.op, ast.Add) else '+'} b", flip
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Gt, ast.GtE, ast.Lt, ast.LtE)):
            swap_op = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt}[type(node.ops[0])]

            def loosen(n, swap_op=swap_op):
                n = copy.deepcopy(n)
                n.ops = [swap_op()]
                return n
            yield "comparison boundary", node, f"{type(node.ops[0]).__name__} -> {swap_op.__name__}", loosen
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            for part in ("lower", "upper"):
                bound = getattr(node.slice, part)
                if bound is not None:
                    def shift(n, part=part):
                        n = copy.deepcopy(n)
                        setattr(n.slice, part, ast.BinOp(getattr(n.slice, part), ast.Add(), ast.Constant(1)))
                        return n
                    yield "off by one", node, f"slice {part} bound + 1", shift
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            if node.value not in (0, 1):
                new = node.value + 1 if isinstance(node.value, int) else node.value * 2
                yield "change a constant", node, f"{node.value!r} -> {new!r}", lambda n, new=new: ast.Constant(new)


def solution_lines(source: str) -> set[int]:
    """Line numbers (1-based) between ``### BEGIN SOLUTION`` and ``### END SOLUTION``: what the student writes.

    The rest of a solution cell (signatures, docstrings, given helpers such as 07's ``_feature_shape``) is the
    release's own code; a mutant there models no student's mistake, so none is made."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


NOISE_CALLS = {"randn", "rand", "randn_like", "rand_like", "randint", "normal", "poisson"}


def _function_sites(fn: ast.FunctionDef) -> Iterator[tuple[str, ast.AST, str, Callable[[ast.AST], ast.AST | None]]]:
    """Mutants that need a whole function: a value from a tuple unpacking passed where another belongs (``decode(mu)``
    for ``decode(z)`` after ``z, mu, log_sigma2 = encode(x)``), and one noise draw reused (every draw whose code is
    the same gives the first tensor drawn, in this call and every later one: noise drawn once and kept)."""
    unpacked: list[list[str]] = [[e.id for e in t.elts] for a in ast.walk(fn) if isinstance(a, ast.Assign)
                                 for t in a.targets if isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts)]
    for call in (c for c in ast.walk(fn) if isinstance(c, ast.Call)):
        for position, arg in enumerate(call.args):
            for names in unpacked:
                if isinstance(arg, ast.Name) and arg.id in names:
                    for other in names:
                        if other != arg.id and not other.startswith("_"):
                            def swap(n, position=position, other=other):
                                n = copy.deepcopy(n)
                                n.args[position] = ast.Name(other, ast.Load())
                                return n
                            yield "swap an unpacked value", call, f"{_name(call.func)}({arg.id}) -> {_name(call.func)}({other})", swap
    draws = [c for c in ast.walk(fn) if isinstance(c, ast.Call) and _name(c.func) in NOISE_CALLS]
    if len({ast.unparse(d) for d in draws}) < len(draws):
        def reuse(n):
            n = copy.deepcopy(n)
            token = f"{id(n)}"

            class Keep(ast.NodeTransformer):
                def visit_Call(self, c):
                    self.generic_visit(c)
                    if _name(c.func) not in NOISE_CALLS:
                        return c
                    key = ast.Constant(f"{token}:{ast.unparse(c)}")
                    store = ast.parse("__import__('torch').__dict__.setdefault('_mutant_noise', {})", mode="eval").body
                    return ast.Call(ast.Attribute(store, "setdefault", ast.Load()), [key, c], [])
            return Keep().visit(n)
        yield "reuse a noise draw", fn, "the same noise draw kept and reused", reuse


def _site_line(node: ast.AST) -> int:
    """The line a mutant is reported at: a whole-function mutant (a reused noise draw) at its first draw."""
    if isinstance(node, ast.FunctionDef):
        return min(c.lineno for c in ast.walk(node) if isinstance(c, ast.Call) and _name(c.func) in NOISE_CALLS)
    return getattr(node, "lineno", 0)


def mutants_of(notebook: str, cell: str, source: str) -> list[Mutant]:
    """Every mutant of the student-written part of one solution cell (one change each), skipping those that do
    not compile or are unchanged."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    written = solution_lines(source)
    out, seen = [], set()
    for index, (operator, node, description, replace) in enumerate(_sites(tree)):
        if _site_line(node) not in written:
            continue
        mutated = copy.deepcopy(tree)
        target = list(_sites(mutated))[index][1]

        class Swap(ast.NodeTransformer):
            def visit(self, n):
                if n is target:
                    return replace(n)
                return super().generic_visit(n) or n

        new_tree = ast.fix_missing_locations(Swap().visit(mutated))
        try:
            text = ast.unparse(new_tree)
            compile(text, "<mutant>", "exec")
        except Exception:  # noqa: BLE001 - a mutant that is not Python is no mutant
            continue
        if text == original or text in seen:
            continue
        seen.add(text)
        out.append(Mutant(notebook, cell, operator, _site_line(node), getattr(node, "col_offset", 0), description, text))
    return out


def _cells(notebook: str) -> list:
    return nbformat.read(SOLUTIONS / notebook / f"{notebook}.ipynb", as_version=4).cells


def graded_solution_cells(notebook: str) -> dict[str, str]:
    """``{grade_id: source}`` of the notebook's autograded solution code cells (what students write)."""
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in _cells(notebook)
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
            and not c.metadata["nbgrader"].get("grade")}


class _Timeout(Exception):
    pass


def run_grade_cells(notebook: str, replaced: dict[str, str], timeout: float) -> tuple[bool, str]:
    """Run the notebook as ``tests/test_grade_cells.py`` does, with ``replaced`` cells swapped in; ``(passed, by)``:
    False and the grade cell that failed (or crashed, or timed out) when any did."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_grade_cells import CHEAP_GIVEN, _only_definitions  # the same cells the grade-cell tests run

    namespace: dict = {"__name__": "__main__"}

    def alarm(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    current = "setup"
    try:
        for cell in _cells(notebook):
            meta = cell.metadata.get("nbgrader", {})
            gid = meta.get("grade_id")
            if cell.cell_type != "code":
                continue
            if meta.get("grade") and not meta.get("solution"):
                current = gid
                exec(compile(cell.source, f"<{gid}>", "exec"), namespace)
            elif gid == "setup" or (meta.get("solution") and not meta.get("grade")) or _only_definitions(cell.source) \
                    or gid in CHEAP_GIVEN:
                current = gid
                exec(compile(replaced.get(gid, cell.source), f"<{gid}>", "exec"), namespace)
        return True, ""
    except _Timeout:
        return False, f"{current} (timed out after {timeout:g} s)"
    except BaseException as exc:  # noqa: BLE001 - any failure of a grade cell kills the mutant
        if isinstance(exc, KeyboardInterrupt):
            raise
        return False, f"{current}: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def load_equivalent() -> dict[str, str]:
    """Reviewed equivalent mutants: ``{key: reason}``, key ``notebook/cell/operator/description/line L col C``."""
    if not EQUIVALENT_FILE.is_file():
        return {}
    return {e["key"]: e["reason"] for e in json.loads(EQUIVALENT_FILE.read_text())["equivalent"]}


def key_of(m: Mutant) -> str:
    return f"{m.notebook}/{m.cell}/{m.operator}/{m.description}/line {m.line} col {m.col}"


def evaluate(notebook: str, sample: int | None, seed: int, timeout: float) -> tuple[dict, list[Mutant]]:
    os.environ.setdefault("COURSE_PROFILE", "fast")
    equivalent = load_equivalent()
    passed, by = run_grade_cells(notebook, {}, timeout)
    if not passed:
        raise RuntimeError(f"{notebook}: the unmutated solution fails its own grade cells ({by})")
    mutants = [m for cell, source in graded_solution_cells(notebook).items() for m in mutants_of(notebook, cell, source)]
    if sample is not None:
        mutants = random.Random(seed).sample(mutants, min(sample, len(mutants)))
    for m in mutants:
        passed, by = run_grade_cells(notebook, {m.cell: m.source}, timeout)
        if not passed:
            m.outcome, m.killed_by = "killed", by
        elif key_of(m) in equivalent:
            m.outcome, m.reason = "equivalent", equivalent[key_of(m)]
        else:
            m.outcome = "survived"
    counts = {o: sum(m.outcome == o for m in mutants) for o in ("killed", "equivalent", "survived")}
    real = len(mutants) - counts["equivalent"]
    summary = {"mutants": len(mutants), "killed": counts["killed"], "equivalent": counts["equivalent"],
               "survivors": counts["survived"], "kill_rate": round(counts["killed"] / real, 4) if real else 1.0}
    return summary, mutants


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="*", default=None)
    parser.add_argument("--sample", type=int, default=None, help="a random sample of this many mutants per notebook")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per mutant before it counts as killed")
    parser.add_argument("--out", type=Path, default=None, help="path stem for .json and .md")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())
    began, report, everything = time.perf_counter(), {}, []
    for notebook in notebooks:
        t0 = time.perf_counter()
        summary, mutants = evaluate(notebook, args.sample, args.seed, args.timeout)
        summary["seconds"] = round(time.perf_counter() - t0, 1)
        report[notebook] = summary
        everything += mutants
        print(f"{notebook}: {summary}", flush=True)
        for m in mutants:
            if m.outcome == "survived":
                print(f"  SURVIVED {key_of(m)}", flush=True)
    if args.out:
        meta = {"command": "python " + " ".join(sys.argv), "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "seconds": round(time.perf_counter() - began, 1)}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(
            {"meta": meta, "notebooks": report,
             "mutants": [{k: v for k, v in asdict(m).items() if k != "source"} | {"key": key_of(m)} for m in everything]},
            indent=1) + "\n")
        lines = [f"# Grade-cell mutants, {meta['date'][:10]}", "", f"`{meta['command']}`, {meta['seconds'] / 60:.1f} min.", "",
                 "| notebook | mutants | killed | equivalent | survivors | kill rate |", "|---|---|---|---|---|---|"]
        lines += [f"| {n} | {s['mutants']} | {s['killed']} | {s['equivalent']} | {s['survivors']} | {s['kill_rate']:.1%} |"
                  for n, s in report.items()]
        lines += ["", "## Survivors", ""] + [f"- `{key_of(m)}`" for m in everything if m.outcome == "survived"]
        args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        sys.exit(1)
