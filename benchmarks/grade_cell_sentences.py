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
"""

from __future__ import annotations

import argparse
import importlib.util
import json
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", nargs="*", default=None)
    parser.add_argument("--heldout", action="store_true", help="the held-out answers instead")
    parser.add_argument("--as-written", action="store_true",
                        help="held-out answers labelled as the text judged them when written (the 'before' reports)")
    parser.add_argument("--out", help="write OUT.json")
    args = parser.parse_args(argv)
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
