"""The held-out answers of a notebook (benchmarks/heldout/<id>.py), for sentence files that reuse them: each was
written from one sentence of the text, so the wrong ones are sentence mutants and the correct ones valid
alternatives. Where the text was later changed to state a requirement, the held-out module's ``RECLASSIFIED`` gives
the label the text as it is now gives (``benchmarks/grade_cell_sentences.py --heldout`` reads them through this module too).

The sentence files import this module by name: ``tests/test_grade_cell_sentences.py`` and the benchmark put this
folder on ``sys.path`` before loading them."""

import importlib.util
from pathlib import Path


def module(notebook: str):
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "heldout" / f"{notebook}.py"
    spec = importlib.util.spec_from_file_location(f"heldout_{notebook}", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def answers(notebook: str, as_written: bool = False) -> list[tuple[str, str, str, str]]:
    """``(kind, name, note, code)`` per held-out answer, the kind and note as the text now judges it (or, with
    ``as_written``, as the text judged it when the answer was written: the labels of the "before" reports)."""
    loaded = module(notebook)
    relabel = {} if as_written else getattr(loaded, "RECLASSIFIED", {})
    out = []
    for kind, name, note, code in loaded.ANSWERS:
        kind, note = relabel.get(name, (kind, note))
        out.append((kind, name, note, code))
    return out
