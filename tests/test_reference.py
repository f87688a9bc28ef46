"""Reference runs: provenance written and complete, stale code reported (never used), nothing loaded while grading."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import torch

from course_utils import reference
from course_utils.notebook_code import definition_sources, load_constants, load_definitions
from course_utils.reference_configs import CONFIGS, ReferenceConfig

PROVENANCE_KEYS = {"name", "command", "code_fingerprint", "machine", "device", "precision", "torch", "steps",
                   "wall_time_s", "final_metrics", "date", "params", "notebook"}


def tiny_train(defs, params, steps, device):
    """Notebook 08's real Generator and critic, a few steps on random images (a test, not a reference)."""
    from course_utils.training import train_gan

    torch.manual_seed(params["seed"])
    G, D = defs["Generator"](8, width=4), defs["critic"](False, width=4)
    history = train_gan(G, D, lambda n: torch.rand(n, 1, 28, 28) * 2 - 1, z_dim=8, steps=steps,
                        opt_G=torch.optim.Adam(G.parameters(), 1e-3), opt_D=torch.optim.Adam(D.parameters(), 1e-3),
                        d_loss=defs["bce_d_loss"], g_loss=defs["bce_g_loss"], batch_size=8, show_progress=False)
    return {"G": G.state_dict()}, {"g_loss": history.g_loss}, {"final_g_loss": history.g_loss[-1]}


TINY = ReferenceConfig(name="tiny", notebook="08_sn_wgan_gp", steps=3, train=tiny_train,
                       description="test configuration", definitions=("Generator", "critic", "bce_d_loss", "bce_g_loss"),
                       params={"seed": 0})


@pytest.fixture
def tiny(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_REFERENCES_DIR", str(tmp_path / "refs"))
    monkeypatch.setitem(CONFIGS, "tiny", TINY)
    return reference.train("tiny")


def test_training_writes_complete_provenance_history_and_half_precision_weights(tiny, tmp_path):
    folder = tmp_path / "refs" / "tiny"
    provenance = json.loads((folder / "provenance.json").read_text())
    assert PROVENANCE_KEYS <= set(provenance), f"missing provenance fields: {PROVENANCE_KEYS - set(provenance)}"
    assert provenance["steps"] == 3 and provenance["code_fingerprint"] == reference.code_fingerprint(TINY)
    assert provenance["command"] == "python -m course_utils.reference train tiny --steps 3"
    assert len(json.loads((folder / "history.json").read_text())["g_loss"]) == 3
    weights = torch.load(folder / "weights.pt", weights_only=True)["G"]
    assert all(t.dtype == torch.float16 for t in weights.values() if t.is_floating_point())


def test_a_fresh_reference_loads_with_a_label_that_says_it_is_not_the_students(tiny):
    run = reference.load("tiny")
    assert run is not None and run.provenance["final_metrics"] == tiny.provenance["final_metrics"]
    label = run.label()
    assert "REFERENCE RUN 'tiny'" in label and "not your run" in label and "3 steps" in label
    G = load_definitions("08_sn_wgan_gp", ["Generator"])["Generator"](8, width=4)
    run.load_weights(G)
    saved = torch.load(run.folder / "weights.pt", weights_only=True)["G"]
    assert torch.equal(G.state_dict()["net.0.weight"], saved["net.0.weight"].float())


def test_changed_parameters_make_the_reference_stale(tiny, monkeypatch, capsys):
    monkeypatch.setitem(CONFIGS, "tiny", dataclasses.replace(TINY, params={"seed": 1}))
    assert reference.status("tiny")[0] == "stale"
    assert reference.load("tiny") is None
    assert "STALE" in capsys.readouterr().out
    with pytest.raises(reference.StaleReference, match="retrain: python -m course_utils.reference train tiny"):
        reference.load("tiny", strict=True)


def test_changed_notebook_code_makes_the_reference_stale(tiny, monkeypatch):
    real = definition_sources

    def edited(notebook, names, source="notebooks"):
        found = real(notebook, names, source)
        found["Generator"] = found["Generator"].replace("nn.ReLU()", "nn.LeakyReLU(0.2)")
        return found

    monkeypatch.setattr(reference, "definition_sources", edited)
    state, message = reference.status("tiny")
    assert state == "stale" and "STALE" in message


def _declared_lr(notebook: str, name: str) -> float:
    """The learning rate a notebook declares for a reference configuration's run (its RECIPES entry or its RECIPE)."""
    config = CONFIGS[name]
    if config.recipe is not None:
        table, entry = config.recipe
        return load_constants(notebook, [table])[table][entry]["lr"]
    return load_constants(notebook, ["RECIPE"])["RECIPE"]["lr"]


@pytest.mark.parametrize("notebook, name, anchor, other", [
    ("08_sn_wgan_gp", "08-dcgan", '"DCGAN": {', "08-sn-gan"),  # one entry of a RECIPES table
    ("06_conditional_gan", "06-cgan", "RECIPE = {", None),      # a notebook's single RECIPE
])
def test_a_changed_learning_rate_in_a_copy_of_the_notebook_makes_its_reference_stale(clean_env, monkeypatch, tmp_path,
                                                                                     notebook, name, anchor, other):
    """Recipes have one source: the reference reads the notebook's recipe, so editing the learning rate there
    (in a copy of the course folder) is a change of the reference's code fingerprint, and nothing else is."""
    import shutil

    from course_utils import notebook_code, paths

    copy = tmp_path / "course"
    for source in ("notebooks", "solutions"):
        shutil.copytree(paths.repo_root() / source / notebook, copy / source / notebook)
    monkeypatch.setattr(notebook_code, "repo_root", lambda: copy)
    monkeypatch.setenv("COURSE_REFERENCES_DIR", str(tmp_path / "refs"))
    config = CONFIGS[name]
    params = reference.resolved_params(config)
    assert (params.get("recipe") or params.get("RECIPE"))["lr"] == _declared_lr(notebook, name)
    folder = tmp_path / "refs" / name
    folder.mkdir(parents=True)
    (folder / "provenance.json").write_text(json.dumps({"code_fingerprint": reference.code_fingerprint(config)}))
    assert reference.status(name)[0] == "ok"
    release = copy / "notebooks" / notebook / f"{notebook}.ipynb"
    nb = json.loads(release.read_text())
    cell = next(c for c in nb["cells"] if anchor in "".join(c["source"]))
    text = "".join(cell["source"])
    start = text.index(anchor)
    edited = re.sub(r'"lr": [0-9.e-]+', '"lr": 0.0123', text[start:], count=1)
    cell["source"] = text[:start] + edited
    release.write_text(json.dumps(nb))
    assert _declared_lr(notebook, name) == 0.0123
    state, message = reference.status(name)
    assert state == "stale" and "STALE" in message
    if other:
        assert reference.status(other)[0] in ("missing", "ok")  # another GAN's recipe is unchanged


def test_every_reference_configuration_trains_through_the_one_reference_trainer():
    """The record every reference keeps (binned losses, byte snapshots) is written in one place, not per notebook."""
    import inspect

    from course_utils import reference_trainer

    for name, config in CONFIGS.items():
        source = inspect.getsource(config.train)
        assert "reference_trainer.train(" in source and "train_gan(" not in source, name
        assert "snapshots_uint8" not in source and "127.5" not in source, name
        assert "course_utils.reference_trainer" in config.modules, f"{name}: its fingerprint must cover the trainer"
    assert reference_trainer.binned([1.0, 3.0, 5.0], 2) == [2.0, 5.0]
    assert reference_trainer.to_pixels(torch.tensor([[[-1.0, 0.0, 1.0, 2.0]]])) == [[0, 128, 255, 255]]


def test_refingerprint_moves_only_a_stale_reference_that_the_proof_shows_bit_identical(tiny, monkeypatch, tmp_path):
    """Issue 41: a refactoring keeps a reference only with a proof (benchmarks/loop_equivalence.py) that the new code
    trains the same weights; anything else stays stale and must be retrained."""
    monkeypatch.setitem(CONFIGS, "tiny", dataclasses.replace(TINY, params={"seed": 0, "refactored": True}))
    assert reference.status("tiny")[0] == "stale"
    run = {"weights": "a", "history": "b"}

    def proof(name, runs):
        (tmp_path / name).write_text(json.dumps({"commit": name, "steps": 20, "runs": runs}))
        return tmp_path / name

    assert reference.refingerprint(proof("old", {"reference tiny": run}), proof("new", {"reference tiny": {**run, "weights": "c"}})) == []
    assert reference.refingerprint(proof("old", {}), proof("new", {})) == [], "a run the proof does not cover stays stale"
    assert reference.status("tiny")[0] == "stale"
    assert reference.refingerprint(proof("old", {"reference tiny": run}), proof("new", {"reference tiny": run})) == ["tiny"]
    assert reference.status("tiny")[0] == "ok"
    moved = json.loads((tmp_path / "refs" / "tiny" / "provenance.json").read_text())["refingerprinted"]
    assert moved[0]["old_commit"] == "old" and moved[0]["new_commit"] == "new" and moved[0]["from"] != moved[0]["to"]


def test_a_removed_configuration_is_stale(tiny, monkeypatch):
    monkeypatch.delitem(CONFIGS, "tiny")
    assert reference.status("tiny")[0] == "stale"


def test_nothing_is_loaded_while_grading(tiny, monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert reference.load("tiny") is None
    assert "not loaded while grading" in capsys.readouterr().out


def test_a_missing_reference_says_how_to_make_it(clean_env, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_REFERENCES_DIR", str(tmp_path / "none"))
    assert reference.load("08-dcgan") is None
    assert "python -m course_utils.reference train 08-dcgan" in capsys.readouterr().out


def test_unknown_configuration_is_a_clear_error(clean_env):
    with pytest.raises(KeyError, match="unknown reference configuration 'nope'"):
        reference.train("nope")


def test_committed_references_are_fresh_complete_and_small(clean_env):
    """Every shipped reference matches the code here (retrain it after changing its code) and all fit in 50 MB."""
    folder = reference.REFERENCES_DIR
    assert reference.total_bytes(folder) <= reference.MAX_TOTAL_BYTES
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        provenance = json.loads((sub / "provenance.json").read_text())
        assert PROVENANCE_KEYS <= set(provenance), f"{sub.name}: missing {PROVENANCE_KEYS - set(provenance)}"
        state, message = reference.status(sub.name)
        assert state == "ok", message


def test_every_configuration_reads_definitions_that_exist(clean_env):
    for name, config in CONFIGS.items():
        assert len(reference.code_fingerprint(config)) == 16, name


@pytest.mark.parametrize("stem", ["unrolled", "wgan", "spectral-norm"])
def test_notebook_05_references_train_the_notebooks_recipe_in_a_few_steps(clean_env, monkeypatch, tmp_path, stem):
    """Each 05 reference trains with the notebook's networks and its RECIPES entry (unrolling through the model
    answer), records the notebook's checks (classes, KL, Frechet distance, D's gap) and the two snapshots it shows."""
    monkeypatch.setenv("COURSE_REFERENCES_DIR", str(tmp_path / "refs"))
    run = reference.train(f"05-{stem}-seed1", steps=10)
    assert [e["step"] for e in run.history["evals"]] == list(range(0, 11))
    assert set(run.history["evals"][-1]) >= {"step", "classes", "kl", "fd", "d_gap"}, run.history["evals"][-1]
    declared = load_constants("05_mode_collapse", ["RECIPES"])["RECIPES"][CONFIGS[f"05-{stem}-seed1"].recipe[1]]
    assert json.loads(json.dumps(run.provenance["params"]["recipe"])) == json.loads(json.dumps(declared))
    assert sorted(run.history["snapshots_uint8"]) == ["10", "5"]
    assert len(run.history["snapshots_uint8"]["10"]) == 32 and len(run.history["snapshots_uint8"]["10"][0]) == 784
    parts = set(torch.load(run.folder / "weights.pt", weights_only=True))
    assert parts == {"G"}, parts
    G = load_definitions("05_mode_collapse", ["make_generator"], constants={"Z_DIM": 64})["make_generator"](batch_norm=False)
    run.load_weights(G)


def test_a_time_budget_chooses_whole_thousands_of_steps_from_timed_probes(clean_env, monkeypatch, tmp_path):
    """``train --time-budget``: the probes run the configuration itself; the steps fit the budget and are recorded."""
    import time as _time

    calls = []

    def timed_train(defs, params, steps, device):  # 1 s fixed cost + 2 ms per step, on any machine
        calls.append(steps)
        _time.sleep(0.0) if steps > 1000 else _time.sleep(0.05 + 0.002 * steps)
        return {"G": {}}, {}, {"steps": steps}

    monkeypatch.setenv("COURSE_REFERENCES_DIR", str(tmp_path / "refs"))
    monkeypatch.setitem(CONFIGS, "timed", dataclasses.replace(TINY, name="timed", train=timed_train, steps=10_000))
    run = reference.train("timed", time_budget_s=12.0)
    assert calls[:3] == list(reference.PROBE_STEPS), calls
    budget = run.provenance["steps_chosen_for_time_budget"]
    assert 1.5 <= budget["estimated_ms_per_step"] <= 3.0, budget
    # about 0.9 * (12 s - probes - 0.05 s) / 2 ms: between 4,000 and 5,000, rounded down to a whole thousand
    assert run.provenance["steps"] in (4000, 5000) and calls[-1] == run.provenance["steps"], (calls, budget)
    capped = reference.train("timed", time_budget_s=1e6)
    assert capped.provenance["steps"] == 10_000


def test_train_many_starts_one_process_per_name_with_one_thread_each_and_counts_failures(monkeypatch, tmp_path):
    """``train-many``: one ``train NAME --time-budget S`` process per name, its output in its own log, failures counted."""
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "args: $* threads: $OMP_NUM_THREADS"\ncase "$4" in *bad*) exit 3;; esac\n')
    fake.chmod(0o755)
    monkeypatch.setattr(reference.sys, "executable", str(fake))
    failed = reference.train_many(["08-dcgan-w32", "bad-name"], 120.0, tmp_path / "logs")
    assert failed == 1
    log = (tmp_path / "logs" / "08-dcgan-w32.log").read_text()
    assert log.strip() == "args: -m course_utils.reference train 08-dcgan-w32 --time-budget 120.0 threads: 1", log
    assert (tmp_path / "logs" / "bad-name.log").is_file()
