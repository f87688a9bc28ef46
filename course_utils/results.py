"""Recording a notebook's headline numbers.

Each notebook ends by calling :func:`record` with the numbers worth quoting (accuracies, mode counts,
scores, wall time). They are written, with the profile, machine, torch version and date, to
``results/<id>.json``. The committed files hold full-profile runs and the README's results table is
generated from them (``python -m course_utils.results --markdown``).

Only a **full** run in a checkout writes into the repository's ``results/``; a fast run (CI, the
autograder) writes into the cache folder instead, so that CI never overwrites a real result with a
smoke-test number. ``COURSE_RESULTS_DIR`` overrides the destination.
"""

from __future__ import annotations

from dataclasses import dataclass

import argparse
import datetime as _dt
import json
import os
import time
from pathlib import Path
from typing import Any, Mapping

from . import paths, profile, settings


def results_dir() -> Path:
    """Where :func:`record` writes: see the module docstring."""
    out = settings.current().results_dir
    if out is None:
        repo = paths.repo_root()
        if profile.get_profile() == "full" and repo is not None and os.access(repo, os.W_OK):
            out = repo / "results"
        else:
            out = paths.cache_dir("results", profile.get_profile())
    out.mkdir(parents=True, exist_ok=True)
    return out


def _plain(value: Any) -> Any:
    """Numbers from numpy / torch become plain python numbers, so JSON stays readable."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def record(notebook_id: str, metrics: Mapping[str, Any]) -> Path:
    """Write ``metrics`` for ``notebook_id`` and return the file's path."""
    import torch

    from .device import describe_machine, get_device

    payload = {
        "notebook": notebook_id,
        "metrics": _plain(dict(metrics)),
        "profile": profile.get_profile(),
        "machine": describe_machine(),
        "device": str(get_device()),
        "torch": torch.__version__,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    path = results_dir() / f"{notebook_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)
    return path


def committed(notebook_id: str) -> dict | None:
    """The metrics of the committed full-profile run of ``notebook_id`` (``results/<id>.json`` in the
    repository), or ``None`` when there is none: lets one notebook quote another's measured numbers."""
    from .paths import repo_root

    root = repo_root()
    path = root / "results" / f"{notebook_id}.json" if root else None
    if path is None or not path.is_file():
        return None
    payload = json.loads(path.read_text())
    return payload["metrics"] if payload.get("profile") == "full" else None


class Stopwatch:
    """Wall time of a block, for the ``wall_time_s`` every results file carries.

    >>> with Stopwatch() as sw:
    ...     pass
    >>> sw.seconds >= 0
    True
    """

    def __enter__(self) -> "Stopwatch":
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @classmethod
    def started(cls) -> "Stopwatch":
        """A running stopwatch, for a span that covers several notebook cells (stop it with ``stop()``)."""
        return cls().__enter__()

    def stop(self) -> float:
        """Stop and return the elapsed seconds (also kept in ``seconds``)."""
        self.seconds = time.perf_counter() - self._start
        return self.seconds


BUDGET_PREFIX = "**Time to run.**"


@dataclass(frozen=True)
class Target:
    """A quality figure a notebook names as its goal: what is measured, the bar, where the bar comes from, and the
    key of ``results/<id>.json`` under which a run records what it measured. The release states the bar, not the
    instructor's measurement: the student's own run prints theirs."""

    what: str
    at_least: float
    source: str
    key: str
    percent: bool = True

    def describe(self) -> str:
        bar = f"{100 * self.at_least:.0f} %" if self.percent else f"{self.at_least:g}"
        return f"{self.what} of at least {bar} ({self.source}; `{self.key}` in the results file)"


# The targets each notebook names in its text, stated in its first cell beside its budget (issue 37).
TARGETS: dict[str, tuple[Target, ...]] = {
    "05_mode_collapse": (Target("`classifier_from_discriminator`'s test accuracy after fine-tuning", 0.90,
                                "the course specification", "classifier_test_accuracy"),),
    "06_conditional_gan": (Target("a conditional accuracy (the evaluation classifier reads the requested class)", 0.85,
                                  "the course's quality target for 06, docs/measurements.md", "conditional_accuracy"),),
}


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def budget_line(notebook_id: str, directory: Path | None = None) -> str:
    """The sentence each notebook's first cell carries about its own cost, from ``results/<id>.json``: the
    full profile's measured wall time and machine, the fast profile's, and a GPU's where one was measured.
    A test compares the notebooks' first cells with this, so the figures cannot drift from the record."""
    directory = Path(directory or (paths.repo_root() or Path.cwd()) / "results")
    data = json.loads((directory / f"{notebook_id}.json").read_text())
    full = data["metrics"].get("wall_time_s")
    if full is None:
        raise KeyError(f"results/{notebook_id}.json records no wall_time_s: rerun the notebook in the full profile")
    line = (f"{BUDGET_PREFIX} The full profile (the default) took {_minutes(full)} when it was last recorded, on "
            f"{data['machine']} ({data['date'][:10]}, `results/{notebook_id}.json`)")
    fast = data.get("fast_profile")
    if fast:
        line += (f"; the fast profile (`COURSE_PROFILE=fast`: the same code on small subsets, what the autograder "
                 f"runs) {_minutes(fast['wall_time_s'])}")
    gpu = data.get("gpu_profile")
    if gpu:
        line += f"; on {gpu['device']}, {_minutes(gpu['wall_time_s'])}"
    line += "."
    targets = TARGETS.get(notebook_id, ())
    if targets:
        line += " Target: " + "; ".join(t.describe() for t in targets) + "."
    return line


def write_budget_line(notebook_id: str) -> bool:
    """Put :func:`budget_line` into the first cell of ``solutions/<id>/<id>.ipynb`` (replacing an older one, else
    after the title); True when the notebook changed. Re-release the notebook afterwards."""
    import nbformat

    root = paths.repo_root()
    if root is None:
        raise FileNotFoundError("writing a notebook needs a checkout of the course repository")
    path = root / "solutions" / notebook_id / f"{notebook_id}.ipynb"
    nb = nbformat.read(path, as_version=4)
    lines = nb.cells[0].source.split("\n")
    line = budget_line(notebook_id)
    old = [i for i, text in enumerate(lines) if text.startswith(BUDGET_PREFIX)]
    if old:
        lines[old[0]] = line
    else:
        lines[1:1] = ["", line]
    source = "\n".join(lines)
    if source == nb.cells[0].source:
        return False
    nb.cells[0].source = source
    nbformat.write(nb, path)
    return True


def time_fast_profile(notebook_id: str, directory: Path | None = None) -> float:
    """Execute the solution notebook in the fast profile (nbclient, a fresh kernel) and record its wall time
    as ``fast_profile`` in ``results/<id>.json`` (the full run's metrics are left as they are)."""
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    from .device import describe_machine

    root = paths.repo_root()
    if root is None:
        raise FileNotFoundError("timing a notebook needs a checkout of the course repository")
    nb = nbformat.read(root / "solutions" / notebook_id / f"{notebook_id}.ipynb", as_version=4)
    env_before = os.environ.get("COURSE_PROFILE")
    os.environ["COURSE_PROFILE"] = "fast"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            NotebookClient(nb, timeout=1800, kernel_name="python3",
                           resources={"metadata": {"path": str(root / "solutions" / notebook_id)}}).execute()
            seconds = time.perf_counter() - start
            del tmp
    finally:
        if env_before is None:
            os.environ.pop("COURSE_PROFILE", None)
        else:
            os.environ["COURSE_PROFILE"] = env_before
    directory = Path(directory or root / "results")
    path = directory / f"{notebook_id}.json"
    data = json.loads(path.read_text())
    data["fast_profile"] = {"wall_time_s": round(seconds, 1), "machine": describe_machine(),
                            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    path.write_text(json.dumps(data, indent=2) + "\n")
    return seconds


def markdown_table(directory: Path | None = None) -> str:
    """The README's results table, one row per recorded notebook."""
    directory = Path(directory or (paths.repo_root() or Path.cwd()) / "results")
    rows = ["| notebook | metric | value | profile | machine | date |", "|---|---|---|---|---|---|"]
    for file in sorted(directory.glob("*.json")):
        data = json.loads(file.read_text())
        for i, (name, value) in enumerate(data["metrics"].items()):
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            meta = (data["profile"], data["machine"], data["date"][:10]) if i == 0 else ("", "", "")
            label = data["notebook"] if i == 0 else ""
            rows.append(f"| {label} | `{name}` | {shown} | {' | '.join(meta)} |")
    return "\n".join(rows)


START, END = "<!-- results:start -->", "<!-- results:end -->"


def update_readme(readme: Path, directory: Path | None = None) -> bool:
    """Replace the table between the results markers of ``readme``; True when the file changed."""
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{markdown_table(directory)}\n{END}{tail}"
    if new != text:
        readme.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print the recorded results as a markdown table.")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--update-readme", type=Path, default=None, help="rewrite the table in this README")
    parser.add_argument("--time-fast", nargs="+", metavar="ID", default=None,
                        help="execute these solution notebooks in the fast profile and record their wall time")
    parser.add_argument("--budget-lines", action="store_true", help="print each notebook's 'Time to run' sentence")
    parser.add_argument("--write", action="store_true", help="with --budget-lines: write them into solutions/")
    args = parser.parse_args(argv)
    if args.time_fast:
        for notebook_id in args.time_fast:
            print(f"{notebook_id}: fast profile {time_fast_profile(notebook_id):.1f} s", flush=True)
    elif args.budget_lines:
        for file in sorted(Path(args.dir or (paths.repo_root() or Path.cwd()) / "results").glob("*.json")):
            if args.write:
                print(f"{file.stem}: {'written' if write_budget_line(file.stem) else 'unchanged'}")
            else:
                print(budget_line(file.stem, args.dir))
    elif args.update_readme:
        changed = update_readme(args.update_readme, args.dir)
        print(f"{args.update_readme}: results table {'updated' if changed else 'already up to date'}")
    else:
        print(markdown_table(args.dir))


if __name__ == "__main__":
    main()
