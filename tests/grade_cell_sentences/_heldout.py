"""The held-out answers of a notebook (benchmarks/heldout/<id>.py), for sentence files that reuse them: each was
written from one sentence of the text, so the wrong ones are sentence mutants and the correct ones valid
alternatives."""

import importlib.util
from pathlib import Path


def answers(notebook: str) -> list[tuple[str, str, str, str]]:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "heldout" / f"{notebook}.py"
    spec = importlib.util.spec_from_file_location(f"heldout_{notebook}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ANSWERS

