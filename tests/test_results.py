"""Recorded results: what record() writes, and where (full runs in the repo, fast runs in the cache)."""

import pytest
import json

from course_utils import paths, results


def test_record_writes_metrics_with_provenance(clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(clean_env / "res"))
    path = results.record("99_demo", {"accuracy": 0.5, "modes": 4})
    data = json.loads(path.read_text())
    assert path == clean_env / "res" / "99_demo.json"
    assert data["metrics"] == {"accuracy": 0.5, "modes": 4}
    for key in ("profile", "machine", "torch", "date", "device"):
        assert data[key], f"results file lacks {key}"


def test_fast_runs_never_write_into_the_repository(clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    out = results.results_dir()
    assert paths.repo_root() is None or paths.repo_root() / "results" != out
    assert str(out).startswith(str(clean_env / "cache"))


def test_full_runs_in_a_checkout_write_to_results(clean_env):
    assert results.results_dir() == paths.repo_root() / "results"


def test_markdown_table_lists_every_metric(tmp_path):
    (tmp_path / "01_x.json").write_text(json.dumps({
        "notebook": "01_x", "metrics": {"acc": 0.91234, "n": 3}, "profile": "full",
        "machine": "m", "date": "2026-01-01T00:00:00"}))
    table = results.markdown_table(tmp_path)
    assert "| 01_x | `acc` | 0.9123 | full | m | 2026-01-01 |" in table
    assert "|  | `n` | 3 |" in table


def test_committed_results_are_full_profile_runs():
    for file in (paths.repo_root() / "results").glob("*.json"):
        data = json.loads(file.read_text())
        assert data["profile"] == "full", f"{file.name} holds a {data['profile']} run; commit full runs only"
        assert data["notebook"] == file.stem


def test_results_table_is_generated_from_results():
    readme = (paths.repo_root() / "results" / "README.md").read_text()
    assert f"{results.START}\n{results.markdown_table()}\n{results.END}" in readme, (
        "results/README.md's table is stale: run `make results-table`")


def test_update_readme_rewrites_only_the_marked_block(tmp_path):
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "01_x.json").write_text(json.dumps({
        "notebook": "01_x", "metrics": {"acc": 1.0}, "profile": "full", "machine": "m", "date": "2026-01-01"}))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{results.START}\nold\n{results.END}\noutro\n")
    assert results.update_readme(readme, tmp_path / "res")
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "| 01_x | `acc` | 1 |" in text and "old" not in text
    assert not results.update_readme(readme, tmp_path / "res")


def test_committed_reads_the_full_profile_run_of_another_notebook():
    metrics = results.committed("04_fmnist_gan_losses")
    assert metrics is not None and metrics["steps"] > 0
    assert results.committed("no_such_notebook") is None


def test_a_started_stopwatch_spans_cells_until_stopped():
    clock = results.Stopwatch.started()
    elapsed = clock.stop()
    assert elapsed == clock.seconds >= 0


def test_budget_line_states_the_recorded_full_and_fast_profile_times(tmp_path):
    """The 'Time to run' sentence comes from the results file: minutes for the full run, seconds for a short one."""
    import json

    from course_utils.results import BUDGET_PREFIX, budget_line

    (tmp_path / "x.json").write_text(json.dumps({
        "notebook": "x", "metrics": {"wall_time_s": 1005.2}, "profile": "full", "machine": "a machine", "device": "cpu",
        "date": "2026-12-06T05:00:00+00:00", "fast_profile": {"wall_time_s": 41.4}}))
    line = budget_line("x", tmp_path)
    assert line.startswith(BUDGET_PREFIX)
    assert "took 17 min when it was last recorded, on a machine (2026-12-06" in line and "41 s" in line
    data = json.loads((tmp_path / "x.json").read_text())
    del data["metrics"]["wall_time_s"]
    (tmp_path / "x.json").write_text(json.dumps(data))
    with pytest.raises(KeyError, match="wall_time_s"):
        budget_line("x", tmp_path)


# ------------------------------------------------------------------ figures quoted in the solutions' prose

# Figures of three or more significant digits that come from a formula, not from a run: (notebook, figure): reason.
CLOSED_FORMS = {
    ("03_gmm_gan", "13.5"): "e^-2, the share of a 2-D standard Gaussian beyond 2 std",
    ("03_gmm_gan", "1.39"): "2 log 2, the discriminator loss at D = 1/2",
}


def _numbers(obj):
    if isinstance(obj, bool) or obj is None:
        return
    if isinstance(obj, (int, float)):
        yield float(obj)
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _numbers(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _numbers(value)


def _recorded(notebook_id):
    """Every number a figure may come from: the notebook's results file, its committed reference runs, and the
    evaluation classifier's record (its accuracy is quoted where it judges samples)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = [root / "results" / f"{notebook_id}.json", root / "course_utils" / "evaluation" / "eval_classifier.json"]
    files += sorted((root / "course_utils" / "references").glob(f"{notebook_id[:2]}-*/*.json"))
    return sorted({v for f in files for v in _numbers(json.loads(f.read_text()))})


@pytest.mark.parametrize("notebook_id", ["01_binary_rnn", "02_sentiment_gru_mlp", "03_gmm_gan", "04_fmnist_gan_losses",
                                         "05_mode_collapse", "06_conditional_gan", "07_vae", "08_sn_wgan_gp"])
def test_every_quoted_figure_of_a_solution_matches_a_recorded_number(notebook_id):
    """Rule: a decimal figure with three or more significant digits in any markdown cell of a solution (its model
    answers, instructor cells and given text) equals, to the digits it shows (either rounding of a half), a number
    recorded by a run: the notebook's ``results/<id>.json`` (as a share or as a percentage), one of its committed
    reference runs, or the evaluation classifier's record; or it is a closed form listed in ``CLOSED_FORMS``."""
    import re
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parent.parent
    nb = nbformat.read(root / "solutions" / notebook_id / f"{notebook_id}.ipynb", as_version=4)
    recorded = _recorded(notebook_id)
    unmatched = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for match in re.finditer(r"(?<![\w.\-/])(\d+\.\d+)(?![\w.]*\d)", cell.source):
            figure = match.group(1)
            if len(figure.replace(".", "").lstrip("0")) < 3 or (notebook_id, figure) in CLOSED_FORMS:
                continue
            x, half = float(figure), 0.5 * 10 ** -len(figure.split(".")[1]) + 1e-9
            if not any(abs(v - x) <= half or abs(100 * v - x) <= half for v in recorded):
                unmatched.append(f"{figure} in cell {cell.get('id')}: ...{cell.source[max(0, match.start() - 50):match.end()]}")
    assert not unmatched, (f"{notebook_id}: figures in the prose that no recorded run holds (record them, or quote "
                           "the recorded value):\n" + "\n".join(unmatched))


def test_every_notebook_target_names_a_key_its_results_file_records():
    """A target in a notebook's first cell names the key of ``results/<id>.json`` that a run records it under; a
    renamed metric would leave the first cell pointing at nothing."""
    import json
    from pathlib import Path

    from course_utils.results import TARGETS

    root = Path(__file__).resolve().parent.parent
    for notebook_id, targets in TARGETS.items():
        metrics = json.loads((root / "results" / f"{notebook_id}.json").read_text())["metrics"]
        for target in targets:
            assert target.key in metrics, f"{notebook_id}: target key {target.key!r} is not in results/{notebook_id}.json"
