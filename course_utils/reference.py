"""Reference runs: results longer than a student's budget, shipped with their provenance and shown as such.

Some lessons need a run to convergence that a laptop cannot do in a lesson (a GAN trained for tens of
thousands of steps). A *reference configuration* (:mod:`course_utils.reference_configs`) names the
course's own code (definitions read from a notebook's cells, the course's trainer) and a recipe; this
module trains it for a long budget and writes, under ``course_utils/references/<name>/``:

- ``provenance.json``: command, code fingerprint, machine, device, precision, torch version, steps, wall
  time, final metrics, date;
- ``history.json``: losses and metrics over the steps;
- ``weights.pt``: the generator's weights (float16, to keep the repository lean; all references together
  stay under :data:`MAX_TOTAL_BYTES`).

Train one with ``python -m course_utils.reference train NAME [--steps N]``; list them with
``python -m course_utils.reference list``. When the course's code changes without changing what it trains (a
refactoring), ``python -m course_utils.reference refingerprint BEFORE.json AFTER.json`` moves the fingerprints of
the runs that ``benchmarks/loop_equivalence.py`` proved bit-identical (same weights and history for a short run,
old code against new) to the new code, and records the proof in their provenance; every other change retrains. A notebook shows one with :func:`load` next to the student's run
and labels it with :meth:`ReferenceRun.label`, never as the student's own result. A reference whose code
fingerprint differs from the code in this checkout is *stale*: :func:`load` reports it and returns
``None`` instead of using it. Nothing is loaded from a reference while nbgrader executes a notebook.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .notebook_code import definition_sources, load_constants, load_definitions, sources_fingerprint

MAX_TOTAL_BYTES = 50 * 1024 * 1024
REFERENCES_DIR = Path(__file__).resolve().parent / "references"


class StaleReference(RuntimeError):
    """The reference was made by code that differs from the code here."""


def references_dir() -> Path:
    """Where reference runs live (``COURSE_REFERENCES_DIR`` overrides it, for tests)."""
    return settings.current().references_dir or REFERENCES_DIR


def resolved_params(config) -> dict:
    """The configuration's parameters, with the notebook's own constants it names (``Z_DIM``, ...) and ``recipe`` set
    to the notebook's own recipe entry when it names one: what the notebook declares, read from it, never copied."""
    params = dict(config.params)
    if config.constants:
        params.update(load_constants(config.notebook, config.constants))
    if config.recipe is not None:
        table, entry = config.recipe
        recipes = load_constants(config.notebook, [table])[table]
        if entry not in recipes:
            raise KeyError(f"{config.notebook}'s {table} has no recipe {entry!r}")
        params["recipe"] = recipes[entry]
    return params


def config_definitions(config) -> dict:
    """The notebook definitions a configuration trains: given cells from the release, model answers from ``solutions/``."""
    defs = {}
    constants = load_constants(config.notebook, config.constants) if config.constants else {}
    if config.definitions:
        defs.update(load_definitions(config.notebook, config.definitions, constants=constants))
    if config.solution_definitions:
        defs.update(load_definitions(config.notebook, config.solution_definitions, "solutions", constants))
    return defs


def code_fingerprint(config) -> str:
    """A hash of everything that decides what a configuration trains: the notebook definitions it uses,
    its own build/train code, its parameters (the notebook's recipe among them) and the source of the course
    modules it names."""
    texts = []
    for source, names in (("notebooks", config.definitions), ("solutions", config.solution_definitions)):
        if names:
            texts += list(definition_sources(config.notebook, names, source).values())
    texts.append(inspect.getsource(config.train))
    texts.append(json.dumps(resolved_params(config), sort_keys=True, default=str))
    for module in config.modules:
        texts.append(inspect.getsource(importlib.import_module(module)))
    return sources_fingerprint(*texts)


@dataclass
class ReferenceRun:
    """A reference run read from disk: its provenance, its history, and its weights on demand."""

    name: str
    folder: Path
    provenance: dict
    history: dict

    def load_weights(self, model, part: str = "G", device=None):
        """Load the saved weights of ``part`` (float16 on disk) into ``model``; returns the model."""
        import torch

        state = torch.load(self.folder / "weights.pt", map_location="cpu", weights_only=True)[part]
        reference = model.state_dict()
        model.load_state_dict({k: v.to(reference[k].dtype) for k, v in state.items()})
        return model.to(device) if device is not None else model

    def label(self) -> str:
        """One line that says what this is: a reference run, not the student's."""
        p = self.provenance
        return (f"REFERENCE RUN '{self.name}' (not your run): {p['steps']:,} steps on {p['device']} "
                f"({p['machine']}), {p['wall_time_s'] / 60:.0f} min, {p['date'][:10]}, code {p['code_fingerprint']}")


def status(name: str) -> tuple[str, str]:
    """``(state, message)``: state is ``ok``, ``missing``, ``stale``, ``unverifiable`` or ``grading``."""
    from .reference_configs import CONFIGS

    if settings.current().grading:
        return "grading", f"reference run '{name}' is not loaded while grading"
    folder = references_dir() / name
    if not (folder / "provenance.json").is_file():
        return "missing", f"no reference run '{name}' in {references_dir()} (train it: python -m course_utils.reference train {name})"
    provenance = json.loads((folder / "provenance.json").read_text())
    config = CONFIGS.get(name)
    if config is None:
        return "stale", f"reference run '{name}' has no configuration any more in course_utils.reference_configs"
    try:
        current = code_fingerprint(config)
    except (FileNotFoundError, KeyError) as exc:
        return "unverifiable", f"reference run '{name}' cannot be checked against the code here: {exc}"
    if current != provenance.get("code_fingerprint"):
        return "stale", (f"reference run '{name}' is STALE: it was made by code {provenance.get('code_fingerprint')}, "
                         f"the code here is {current} (retrain: python -m course_utils.reference train {name})")
    return "ok", f"reference run '{name}': code {current} matches"


def load(name: str, *, strict: bool = False) -> ReferenceRun | None:
    """The reference run ``name`` if it exists and matches the code here; otherwise print why and return
    ``None`` (or raise :class:`StaleReference` with ``strict=True``)."""
    state, message = status(name)
    if state != "ok":
        if strict:
            raise StaleReference(message)
        print(message)
        return None
    folder = references_dir() / name
    return ReferenceRun(name, folder, json.loads((folder / "provenance.json").read_text()),
                        json.loads((folder / "history.json").read_text()))


def total_bytes(folder: Path | None = None) -> int:
    """Bytes taken by all reference runs (kept under :data:`MAX_TOTAL_BYTES`)."""
    folder = folder or references_dir()
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


PROBE_STEPS = (10, 50, 250)  # a warm-up, then two lengths whose difference gives the cost of one step


def steps_for_budget(config, defs: dict, device, seconds: float, started: float) -> tuple[int, dict]:
    """The number of generator steps (a multiple of 1,000, at most ``config.steps``) that fits in what is left of
    ``seconds`` since ``started``, from timed probe runs of the configuration's own training on this machine.

    The two timed probes make the same number of evaluations, so their difference is the cost of the extra steps
    alone; the rest of the shorter probe is the fixed cost (data, evaluations) that the long run pays too.
    """
    times = []
    for n in PROBE_STEPS:
        t0 = time.perf_counter()
        config.train(defs, resolved_params(config), n, device)
        times.append(time.perf_counter() - t0)
    (n1, t1), (n2, t2) = zip(PROBE_STEPS[1:], times[1:])
    per_step = max((t2 - t1) / (n2 - n1), 1e-6)
    fixed = max(t1 - n1 * per_step, 0.0)
    left = seconds - (time.perf_counter() - started) - fixed
    steps = max(1000, min(config.steps, int(0.9 * left / per_step) // 1000 * 1000))
    return steps, {"budget_s": seconds, "probe_steps": list(PROBE_STEPS), "probe_s": [round(t, 2) for t in times],
                   "estimated_ms_per_step": round(per_step * 1000, 2), "estimated_fixed_s": round(fixed, 1)}


def train(name: str, steps: int | None = None, command: str | None = None,
          time_budget_s: float | None = None) -> ReferenceRun:
    """Train the configuration ``name`` and write its reference files; returns the run as :func:`load` would.

    With ``time_budget_s`` (and no ``steps``) the number of steps is what fits in that many seconds on this
    machine (:func:`steps_for_budget`); the provenance records the budget and the probes."""
    import torch

    from .device import describe_machine, get_device, training_precision
    from .reference_configs import CONFIGS

    if name not in CONFIGS:
        raise KeyError(f"unknown reference configuration {name!r}; known: {sorted(CONFIGS)}")
    began = time.perf_counter()
    config = CONFIGS[name]
    device = get_device()
    defs = config_definitions(config)
    fingerprint = code_fingerprint(config)
    budget = None
    if time_budget_s is not None and steps is None:
        steps, budget = steps_for_budget(config, defs, device, time_budget_s, began)
    steps = steps or config.steps
    start = time.perf_counter()
    weights, history, metrics = config.train(defs, resolved_params(config), steps, device)
    seconds = time.perf_counter() - start
    folder = references_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({part: {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu())
                       for k, v in state.items()} for part, state in weights.items()}, folder / "weights.pt")
    (folder / "history.json").write_text(json.dumps(history) + "\n")
    provenance = {
        "name": name, "description": config.description, "notebook": config.notebook,
        "command": command or f"python -m course_utils.reference train {name} --steps {steps}",
        "code_fingerprint": fingerprint, "params": resolved_params(config), "steps": steps,
        "wall_time_s": round(seconds, 1), "machine": describe_machine(), "device": str(device),
        "precision": training_precision(device).describe(), "torch": torch.__version__,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "final_metrics": metrics,
    }
    if budget is not None:
        provenance["steps_chosen_for_time_budget"] = budget
    (folder / "provenance.json").write_text(json.dumps(provenance, indent=2, default=str) + "\n")
    if total_bytes() > MAX_TOTAL_BYTES:
        print(f"warning: reference runs take {total_bytes() / 2**20:.1f} MiB, over the {MAX_TOTAL_BYTES / 2**20:.0f} MiB budget")
    return ReferenceRun(name, folder, provenance, history)


def train_many(names: list[str], time_budget_s: float, log_dir: Path) -> int:
    """``train NAME --time-budget`` for every name at once, each in its own process with one CPU thread (the
    course's networks are small: one process cannot keep a GPU busy, several can); each one's output goes to
    ``log_dir/NAME.log``. Returns the number of runs that failed."""
    import subprocess

    log_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1", TQDM_MININTERVAL="10")
    jobs = {}
    for name in names:
        with open(log_dir / f"{name}.log", "w") as log:
            jobs[name] = subprocess.Popen([sys.executable, "-m", "course_utils.reference", "train", name,
                                           "--time-budget", str(time_budget_s)], stdout=log, stderr=subprocess.STDOUT, env=env)
    failed = 0
    for name, job in jobs.items():
        code = job.wait()
        failed += code != 0
        log = log_dir / f"{name}.log"
        print(f"{name}: " + ("done" if code == 0 else f"FAILED (exit {code}), see {log}"), flush=True)
    return failed


def refingerprint(before: Path, after: Path) -> list[str]:
    """Move each stale reference whose short run the proof files show bit-identical (``benchmarks/loop_equivalence.py``
    on the old code and on this code) to the code here; its provenance keeps the old fingerprint and the proof.
    Returns the names moved; a reference the proof does not cover, or shows different, stays stale."""
    from .reference_configs import CONFIGS

    old, new = (json.loads(Path(p).read_text()) for p in (before, after))
    moved = []
    for name, config in sorted(CONFIGS.items()):
        key = f"reference {name}"
        if status(name)[0] != "stale" or key not in old["runs"] or old["runs"][key] != new["runs"].get(key):
            continue
        file = references_dir() / name / "provenance.json"
        provenance = json.loads(file.read_text())
        provenance.setdefault("refingerprinted", []).append({
            "from": provenance["code_fingerprint"], "to": code_fingerprint(config), "old_commit": old["commit"],
            "new_commit": new["commit"], "proof": [str(before), str(after)], "proof_steps": new["steps"],
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
        provenance["code_fingerprint"] = code_fingerprint(config)
        file.write_text(json.dumps(provenance, indent=2, default=str) + "\n")
        moved.append(name)
    return moved


def main(argv: list[str] | None = None) -> None:
    from .reference_configs import CONFIGS

    parser = argparse.ArgumentParser(prog="python -m course_utils.reference", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    t = sub.add_parser("train", help="train a reference configuration and write its files")
    t.add_argument("name", choices=sorted(CONFIGS))
    t.add_argument("--steps", type=int, default=None)
    t.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="train as many steps (multiples of 1,000) as fit in this many seconds here, instead of --steps")
    m = sub.add_parser("train-many", help="train several configurations at once, one process each (a GPU machine)")
    m.add_argument("names", nargs="+", metavar="NAME")
    m.add_argument("--time-budget", type=float, required=True, metavar="SECONDS", help="for each of them")
    m.add_argument("--log-dir", type=Path, default=Path("reference-logs"))
    sub.add_parser("list", help="every configuration and the state of its reference run")
    r = sub.add_parser("refingerprint", help="move stale references proved bit-identical to the code here")
    r.add_argument("before", type=Path, help="benchmarks/loop_equivalence.py --out, run on the old code")
    r.add_argument("after", type=Path, help="the same, run on this code")
    args = parser.parse_args(argv)
    if args.verb == "train-many":
        unknown = sorted(set(args.names) - set(CONFIGS))
        if unknown:
            parser.error(f"unknown configurations {unknown}; known: {sorted(CONFIGS)}")
        sys.exit(train_many(args.names, args.time_budget, args.log_dir))
    if args.verb == "train":
        command = "python -m course_utils.reference " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
        run = train(args.name, args.steps, command=command, time_budget_s=args.time_budget)
        print(run.label())
        print(json.dumps(run.provenance["final_metrics"], indent=2))
    elif args.verb == "refingerprint":
        moved = refingerprint(args.before, args.after)
        print(f"moved to the code here: {', '.join(moved) or 'none'}")
    else:
        for name, config in sorted(CONFIGS.items()):
            print(f"{name:>16}  {status(name)[0]:>12}  {config.description}")


if __name__ == "__main__":
    main()
