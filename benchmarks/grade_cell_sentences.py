"""Grade cells measured against the notebook's text (issue 50), beside the operator mutants of
``grade_cell_mutants.py``:

- **sentence mutants** (``tests/grade_cell_sentences/<id>.py``, ``SENTENCES``): each breaks exactly one requirement a
  sentence of the notebook states, written from the sentence, not from the solution's code; killed when a grade
  cell fails with it;
- **valid alternatives** (``ALTERNATIVES``): correct answers in designs the text allows; accepted when every grade
  cell passes;
- **held-out answers** (``--heldout``, ``benchmarks/heldout/<id>.py``): answers written from the text alone before
  the grade cells were changed, correct or wrong, to measure the cells on answers nobody listed. Where the text was
  later changed to state a requirement, the module's ``RECLASSIFIED`` says which answers the new text judges
  otherwise, and the report uses that label (``--as-written``: the labels of the time, as the "before" reports).

Every answer runs as ``tests/test_grade_cells.py`` runs grade cells: the solution's definitions, the answer's
redefinitions, then each grade cell, hidden tests included, in process.

    python benchmarks/grade_cell_sentences.py                     # sentence mutants and valid alternatives
    python benchmarks/grade_cell_sentences.py --heldout --out benchmarks/results/heldout-01-after
    python benchmarks/grade_cell_sentences.py --all --out benchmarks/results/grade-cells-DATE   # one table: operator
        # mutants (grade_cell_mutants.py), sentence mutants, valid alternatives, held-out answers, per notebook
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "grade_cell_sentences")]


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def failing_cells(notebook: str, variant: str) -> dict[str, str]:
    """Grade cells that fail (or crash) with ``variant`` in place: ``{grade_id: first line of the reason}``."""
    from test_grade_cells import run_grade_cell

    from autograder import course

    failed = {}
    for cell in course.graded_cells(notebook):
        if not cell.autograded:
            continue
        try:
            run_grade_cell(notebook, cell.grade_id, variant)
        except Exception as exc:  # noqa: BLE001 - any failure is the verdict
            failed[cell.grade_id] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    return failed


def measure(notebook: str, heldout: bool = False, as_written: bool = False) -> dict:
    if heldout:
        from _heldout import answers  # labels as the text now judges them, or as written (RECLASSIFIED)

        cases = [(kind, name, note, code, None) for kind, name, note, code in answers(notebook, as_written)]
    else:
        module = _load(ROOT / "tests" / "grade_cell_sentences" / f"{notebook}.py")
        cases = [("wrong", name, sentence, code, cell) for name, sentence, cell, code in module.SENTENCES]
        cases += [("correct", name, note, code, None) for name, note, code in module.ALTERNATIVES]
    rows = []
    for kind, name, note, code, cell in cases:
        failed = failing_cells(notebook, code)
        ok = not failed if kind == "correct" else (cell in failed if cell else bool(failed))
        rows.append({"kind": kind, "name": name, "requirement": note, "expected_cell": cell, "failed_cells": failed,
                     "as_it_should": ok})
    wrong = [r for r in rows if r["kind"] == "wrong"]
    correct = [r for r in rows if r["kind"] == "correct"]
    return {"notebook": notebook, "wrong_caught": sum(r["as_it_should"] for r in wrong), "wrong": len(wrong),
            "correct_accepted": sum(r["as_it_should"] for r in correct), "correct": len(correct), "answers": rows}


def combined(notebooks: list[str]) -> tuple[list[dict], str]:
    """Every measure of the grade cells per notebook, side by side: operator mutants (``grade_cell_mutants.py``),
    sentence mutants, valid alternatives, held-out answers (as the text now judges them); rows and a markdown table."""
    import time

    import grade_cell_mutants

    rows = []
    for notebook in notebooks:
        began = time.perf_counter()
        operators, _ = grade_cell_mutants.evaluate(notebook, sample=None, seed=0, timeout=60.0)
        sentences = measure(notebook)
        heldout = measure(notebook, heldout=True) if (ROOT / "benchmarks" / "heldout" / f"{notebook}.py").is_file() else None
        rows.append({"notebook": notebook, "operator_mutants": operators, "sentences": sentences, "heldout": heldout,
                     "seconds": round(time.perf_counter() - began, 1)})
        print(f"{notebook}: {time.perf_counter() - began:.0f} s", flush=True)

    def frac(a, b):
        return f"{a}/{b}"

    lines = ["| notebook | operator mutants killed (equivalent) | sentence mutants killed by their cell | "
             "valid alternatives accepted | held-out wrong caught | held-out correct accepted |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        o, s, h = r["operator_mutants"], r["sentences"], r["heldout"]
        lines.append(f"| {r['notebook']} | {frac(o['killed'], o['mutants'] - o['equivalent'])} ({o['equivalent']}) | "
                     f"{frac(s['wrong_caught'], s['wrong'])} | {frac(s['correct_accepted'], s['correct'])} | "
                     + (f"{frac(h['wrong_caught'], h['wrong'])} | {frac(h['correct_accepted'], h['correct'])} |" if h
                        else "- | - |"))
    total = lambda key, part: sum((r[part] or {}).get(key, 0) for r in rows)  # noqa: E731
    lines.append(f"| all | {sum(r['operator_mutants']['killed'] for r in rows)}/"
                 f"{sum(r['operator_mutants']['mutants'] - r['operator_mutants']['equivalent'] for r in rows)} | "
                 f"{total('wrong_caught', 'sentences')}/{total('wrong', 'sentences')} | "
                 f"{total('correct_accepted', 'sentences')}/{total('correct', 'sentences')} | "
                 f"{total('wrong_caught', 'heldout')}/{total('wrong', 'heldout')} | "
                 f"{total('correct_accepted', 'heldout')}/{total('correct', 'heldout')} |")
    return rows, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", nargs="*", default=None)
    parser.add_argument("--heldout", action="store_true", help="the held-out answers instead")
    parser.add_argument("--as-written", action="store_true",
                        help="held-out answers labelled as the text judged them when written (the 'before' reports)")
    parser.add_argument("--out", help="write OUT.json")
    parser.add_argument("--all", action="store_true",
                        help="one table per notebook: operator mutants, sentence mutants, alternatives, held-out")
    args = parser.parse_args(argv)
    if args.all:
        import datetime as dt
        import platform
        import time

        began = time.perf_counter()
        notebooks = args.notebooks or sorted(p.stem for p in (ROOT / "tests" / "grade_cell_sentences").glob("[0-9]*.py"))
        rows, table = combined(notebooks)
        print(table)
        if args.out:
            out = Path(args.out)
            meta = {"command": "python " + " ".join(sys.argv), "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
                    "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "minutes": round((time.perf_counter() - began) / 60, 1)}
            out.with_suffix(".json").write_text(json.dumps({"meta": meta, "notebooks": rows}, indent=1) + "\n")
            out.with_suffix(".md").write_text(
                f"# Grade cells, every measure, {meta['date'][:10]}\n\n`{meta['command']}`, {meta['minutes']} min "
                f"({meta['machine']}). Operator mutants: `grade_cell_mutants.py` (killed of the non-equivalent ones; "
                "the reviewed equivalent ones in brackets). Sentence mutants and valid alternatives: "
                "`tests/grade_cell_sentences/<id>.py`. Held-out: `benchmarks/heldout/<id>.py`, as the text now judges "
                "them (RECLASSIFIED).\n\n" + table + "\n")
        ok = all(r["operator_mutants"]["survivors"] == 0 and r["sentences"]["wrong_caught"] == r["sentences"]["wrong"]
                 and r["sentences"]["correct_accepted"] == r["sentences"]["correct"] for r in rows)
        return 0 if ok else 1
    folder = ROOT / ("benchmarks/heldout" if args.heldout else "tests/grade_cell_sentences")
    notebooks = args.notebooks or sorted(p.stem for p in folder.glob("[0-9]*.py"))
    report = [measure(nb, args.heldout, args.as_written) for nb in notebooks]
    for r in report:
        what = "held-out" if args.heldout else "sentence mutants / valid alternatives"
        print(f"{r['notebook']} ({what}): wrong caught {r['wrong_caught']}/{r['wrong']}, "
              f"correct accepted {r['correct_accepted']}/{r['correct']}")
        for a in r["answers"]:
            if not a["as_it_should"]:
                print(f"  MISSED {a['kind']} {a['name']} ({a['requirement']}): {a['failed_cells'] or 'full marks'}")
    if args.out:
        Path(args.out).with_suffix(".json").write_text(json.dumps(report, indent=1))
    return 0 if all(r["wrong_caught"] == r["wrong"] and r["correct_accepted"] == r["correct"] for r in report) else 1


if __name__ == "__main__":
    raise SystemExit(main())
