"""Each notebook's grade cells against its text, sentence by sentence (issue 50): a mutant that breaks exactly one
requirement a sentence states fails the grade cell named for it, and each valid alternative design the text allows
keeps every autograded point. The cases live in ``tests/grade_cell_sentences/<id>.py``; the report with the held-out
answers is ``benchmarks/grade_cell_sentences.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from autograder import course
from test_grade_cells import run_grade_cell

CASES = Path(__file__).resolve().parent / "grade_cell_sentences"
sys.path.insert(0, str(CASES))  # the sentence files import their helper, _heldout, by name


def _module(notebook: str):
    spec = importlib.util.spec_from_file_location(f"sentences_{notebook}", CASES / f"{notebook}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NOTEBOOKS = sorted(p.stem for p in CASES.glob("[0-9]*.py"))
SENTENCES = [(nb, name, sentence, cell, code) for nb in NOTEBOOKS for name, sentence, cell, code in _module(nb).SENTENCES]
ALTERNATIVES = [(nb, name, note, code) for nb in NOTEBOOKS for name, note, code in _module(nb).ALTERNATIVES]


@pytest.mark.parametrize("notebook, name, sentence, cell, code", SENTENCES, ids=[f"{s[0][:2]}-{s[1]}" for s in SENTENCES])
def test_breaking_a_sentence_fails_the_grade_cell_that_checks_it(notebook, name, sentence, cell, code):
    with pytest.raises(AssertionError):
        run_grade_cell(notebook, cell, code)


@pytest.mark.parametrize("notebook, name, note, code", ALTERNATIVES, ids=[f"{a[0][:2]}-{a[1]}" for a in ALTERNATIVES])
def test_a_valid_alternative_keeps_every_point(notebook, name, note, code):
    for graded in course.graded_cells(notebook):
        if graded.autograded:
            run_grade_cell(notebook, graded.grade_id, code)


def test_every_notebook_lists_what_it_does_not_test():
    for notebook in NOTEBOOKS:
        assert all(len(item) == 2 and item[1] for item in _module(notebook).UNTESTED), notebook
