"""The mutation harness of the grade cells stays alive: it makes mutants of real solution cells, runs the grade
cells in process, and a sample of 08's mutants is all killed or reviewed as equivalent (08 was brought to 100 %)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location(
    "grade_cell_mutants", Path(__file__).resolve().parent.parent / "benchmarks" / "grade_cell_mutants.py")
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness  # dataclasses look their module up there
_spec.loader.exec_module(harness)


def test_operators_model_the_mistakes_students_make():
    source = ("def d_loss(real, fake):\n"
              "    with torch.no_grad():\n        pass\n"
              "    return F.softplus(-real).mean() + F.softplus(fake).mean(dim=0)\n")
    operators = {m.operator for m in harness.mutants_of("x", "d_loss", source)}
    assert {"sigmoid before a logit loss", "swap mean / sum", "reduction dimension", "flip sign", "add detach",
            "detach through float", "remove no_grad", "move to the CPU"} <= operators


def test_a_sample_of_08s_mutants_is_killed_or_equivalent(clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    summary, mutants = harness.evaluate("08_sn_wgan_gp", sample=8, seed=0, timeout=60)
    assert summary["mutants"] == 8
    assert summary["survivors"] == 0, [harness.key_of(m) for m in mutants if m.outcome == "survived"]
