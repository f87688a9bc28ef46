"""The student's experience in a real browser: JupyterLab, ipywidgets and nbgrader's Validate button.

Headless Chromium (Debian's ``/usr/bin/chromium``, never a downloaded browser) driven by Playwright against
a JupyterLab started on localhost with a throwaway token, in a temporary folder holding the student release
of notebook 01. Step by step, with a screenshot of each in ``test-artifacts/browser/``:

1. the untouched release, every cell run in order: the test cells fail and show why (the stubs'
   ``NotImplementedError``);
2. answers typed into the solution cells (the sample student alice's) with one mistake (the bits of the
   encoding reversed), and run: that test fails with the course's message, "expected ... got ...", the others pass;
3. correct answers (the sample student alice) and run again: no test fails, and the hidden-state stepper
   widget renders as a widget (not "Error displaying widget", not stuck at "Loading widget...");
4. nbgrader's Validate button in the notebook toolbar answers "Success! Your notebook passes all the tests."

Skipped, with the reason, where Playwright or Chromium is missing (``make install`` installs both when it
can). The cell contents are set through JupyterLab's own model (``--LabApp.expose_app_in_browser``), as
typing into CodeMirror would, without its auto-indentation and bracket closing mangling the code.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow
A = "01_binary_rnn"
WIDGET_NOTEBOOKS = {"06_conditional_gan": "widget", "07_vae": "explore"}  # notebook -> grade_id of its widget cell
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; `make install` does it as root)"
    return None


if _skip_reason():
    pytest.skip(_skip_reason(), allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(student: str) -> dict[str, str]:
    """grade_id -> source of the solution cells a sample student filled in."""
    nb = nbformat.read(SAMPLES / student / A / f"{A}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on localhost, with a throwaway token, serving a copy of the release of 01."""
    home = tmp_path_factory.mktemp("lab")
    work = home / "course"
    work.mkdir()
    shutil.copyfile(ROOT / "notebooks" / A / f"{A}.ipynb", work / f"{A}.ipynb")
    for other in WIDGET_NOTEBOOKS:  # correct answers, to see the widgets of 06 and 07 work
        shutil.copyfile(SAMPLES / "alice" / other / f"{other}.ipynb", work / f"{other}.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    settings = home / "settings"
    # render every cell (no windowing: the test reads outputs anywhere in the notebook), no news pop-up, and no
    # autosave: a save of its own racing the Validate button's save makes JupyterLab ask "File Changed: overwrite?"
    for name, value in {"notebook-extension/tracker": {"windowingMode": "none"},
                        "apputils-extension/notification": {"fetchNews": "false"},
                        "docmanager-extension/plugin": {"autosave": False}}.items():
        path = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # a student's kernel draws inline
    env.update(COURSE_PROFILE="fast", COURSE_RESULTS_DIR=str(home / "results"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTERLAB_SETTINGS_DIR=str(settings))
    log = (home / "lab.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("JupyterLab did not start:\n" + (home / "lab.log").read_text()[-3000:])
        time.sleep(0.5)
    yield {"base": base, "token": token, "folder": work, "log": home / "lab.log"}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# JavaScript run in the page, against JupyterLab's application object.
CELL_IDS = """() => {
    const nb = window.jupyterapp.shell.currentWidget.content;
    return nb.widgets.map(c => { const m = c.model.getMetadata('nbgrader'); return m ? m.grade_id : null; });
}"""
SET_SOURCES = """(answers) => {
    const nb = window.jupyterapp.shell.currentWidget.content;
    let n = 0;
    for (const cell of nb.widgets) {
        const m = cell.model.getMetadata('nbgrader');
        if (m && m.solution && m.grade_id in answers) {
            cell.model.sharedModel.setSource(answers[m.grade_id]);
            n += 1;
        }
    }
    return n;
}"""
RUN_CELL = """async (i) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.sessionContext.ready;
    const nb = panel.content;
    nb.activeCellIndex = i;
    await app.commands.execute('notebook:run-cell');
    return nb.widgets[i].model.type;
}"""


class Student:
    """A browser tab on the notebook, with the helpers a test step needs."""

    def __init__(self, page, lab):
        self.page, self.lab, self.shots = page, lab, 0

    def open_notebook(self, name: str = A):
        # ?reset: a fresh layout, so that the notebook opened here is the current widget
        self.page.goto(f"{self.lab['base']}/lab/tree/{name}.ipynb?reset&token={self.lab['token']}")
        self.page.wait_for_function(f"() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                    f"&& window.jupyterapp.shell.currentWidget.context "
                                    f"&& window.jupyterapp.shell.currentWidget.context.path === '{name}.ipynb' "
                                    "&& window.jupyterapp.shell.currentWidget.content "
                                    "&& window.jupyterapp.shell.currentWidget.content.widgets.length > 5",
                                    timeout=90_000)
        expect(self.page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1, timeout=90_000)

    def run_every_cell(self):
        """Run the cells one by one, in order, as Shift+Enter would; a failing cell does not stop the rest."""
        n = len(self.page.evaluate(CELL_IDS))
        for i in range(n):
            self.page.evaluate(RUN_CELL, i)
        self.page.wait_for_function("() => !document.querySelector('.jp-InputArea-prompt') || "
                                    "![...document.querySelectorAll('.jp-InputArea-prompt')].some(p => p.textContent.includes('*'))",
                                    timeout=120_000)

    def output_text(self, grade_id: str) -> str:
        index = self.page.evaluate(CELL_IDS).index(grade_id)
        # textContent, not innerText: JupyterLab skips rendering cells outside the viewport
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-Cell-outputArea").text_content()

    def cell(self, grade_id: str):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(self.page.evaluate(CELL_IDS).index(grade_id))

    def screenshot(self, name: str, locator=None):
        self.shots += 1
        path = ARTIFACTS / f"{self.shots:02d}-{name}.png"
        (locator or self.page).screenshot(path=str(path))
        return path


GRADE_CELLS = ["test_encode_addition_example", "test_encode_addition_lengths", "test_rnn_forward_small_networks",
               "test_rnn_forward_any_weights", "test_weights_shapes", "test_weights_add",
               "test_add_with_rnn_all_bytes", "test_add_with_rnn_64_bit"]


def test_student_works_through_notebook_01_in_jupyterlab(lab):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        console_errors = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        me = Student(page, lab)
        try:
            me.open_notebook()
            me.screenshot("release-opened")
            expect(page.locator(".validate-button")).to_have_count(1, timeout=30_000)  # nbgrader's lab extension

            # 1. the untouched release: every test fails, and says why
            me.run_every_cell()
            assert "Error" not in me.output_text("setup"), me.output_text("setup")
            for gid in GRADE_CELLS:
                assert "NotImplementedError" in me.output_text(gid) or "NameError" in me.output_text(gid), gid
            me.cell("test_encode_addition_example").scroll_into_view_if_needed()
            me.screenshot("release-tests-fail")

            # 2. a wrong answer (alice's encoding with the bits reversed): its test says what it expected
            wrong = _answers("alice")
            wrong["encode_addition"] += ("\n\n_right_order = encode_addition\n\n\ndef encode_addition(a, b):\n"
                                         "    x, y = _right_order(a, b)\n    return x[::-1], y[::-1]\n")
            assert page.evaluate(SET_SOURCES, wrong) == 5  # four code cells and the written answer
            me.run_every_cell()
            outputs = {gid: me.output_text(gid) for gid in GRADE_CELLS}
            failing = [gid for gid, text in outputs.items() if "CheckFailure" in text]
            assert failing, outputs
            assert all("expected" in outputs[gid] for gid in failing), {gid: outputs[gid][-1500:] for gid in failing}
            assert "test_encode_addition_example" in failing, outputs["test_encode_addition_example"][-1500:]
            assert not any("Error" in outputs[gid] for gid in ("test_weights_shapes", "test_rnn_forward_small_networks")), \
                "the other answers are right: their tests must pass"
            me.cell(failing[0]).scroll_into_view_if_needed()
            me.screenshot("wrong-answer-message")

            # 3. correct answers: every test passes, and the widget renders
            assert page.evaluate(SET_SOURCES, _answers("alice")) == 5
            me.run_every_cell()
            for gid in GRADE_CELLS:
                assert "Error" not in me.output_text(gid), (gid, me.output_text(gid)[-2000:])
            stepper = me.cell("stepper")
            stepper.scroll_into_view_if_needed()
            expect(stepper.locator(".widget-slider, .jupyter-widgets.widget-inline-hbox").first).to_be_visible(timeout=30_000)
            text = stepper.locator(".jp-Cell-outputArea").inner_text()
            assert "Error displaying widget" not in text and "Loading widget" not in text, text
            slider = stepper.locator(".widget-slider .noUi-handle, .widget-slider input").first
            expect(slider).to_be_visible()
            me.screenshot("solution-widget", stepper)

            # 4. nbgrader's Validate button answers. It saves the notebook itself: a Ctrl+S just before it raced that
            # save, and the second one found the file newer than it knew ("File Changed" dialog, no validation).
            page.locator(".validate-button").click()
            dialog = page.locator(".jp-Dialog")
            # any answer: success, failed cells, or nbgrader's "There was an error running the validate command"
            expect(dialog.locator("#validation-message")).to_have_count(1, timeout=180_000)
            me.screenshot("validate-result")
            assert dialog.locator(".validation-success").count() == 1, \
                dialog.inner_text() + "\n--- JupyterLab's log ---\n" + lab["log"].read_text(errors="replace")[-4000:]
            assert "Success! Your notebook passes all the tests." in dialog.inner_text()
        except Exception:
            me.screenshot("failure")
            raise
        finally:
            (ARTIFACTS / "console-errors.json").write_text(json.dumps(console_errors, indent=2))
            browser.close()
    widget_errors = [e for e in console_errors if "widget" in e.lower()]
    assert not widget_errors, widget_errors
    assert len(list(ARTIFACTS.glob("*.png"))) >= 5


def _has_data() -> bool:
    from course_utils.paths import data_root

    return (data_root() / "FashionMNIST" / "raw").is_dir()


@pytest.mark.skipif(not _has_data(), reason="Fashion-MNIST is not in the data root (set COURSE_DATA_DIR)")
@pytest.mark.parametrize("notebook", sorted(WIDGET_NOTEBOOKS))
def test_widgets_of_the_generative_notebooks_render_and_respond(lab, notebook):
    """06's class picker and 07's latent explorer, in a notebook with correct answers run in the fast profile."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        me = Student(page, lab)
        me.shots = {"06_conditional_gan": 10, "07_vae": 20}[notebook]
        try:
            me.open_notebook(notebook)
            me.run_every_cell()
            cell = me.cell(WIDGET_NOTEBOOKS[notebook])
            cell.scroll_into_view_if_needed()
            control = cell.locator(".widget-dropdown select, .widget-slider").first
            expect(control).to_be_visible(timeout=60_000)
            text = cell.locator(".jp-Cell-outputArea").text_content()
            assert "Error displaying widget" not in text and "Loading widget" not in text, text
            image = cell.locator(".jp-Cell-outputArea img").first
            expect(image).to_be_visible(timeout=30_000)
            before = image.get_attribute("src")
            me.screenshot(f"{notebook}-widget", cell)
            if notebook == "06_conditional_gan":
                cell.locator(".widget-dropdown select").select_option(label="Sneaker")
            else:
                handle = cell.locator(".widget-slider .noUi-handle").last  # the t slider
                handle.focus()
                for _ in range(6):
                    page.keyboard.press("ArrowRight")
            page.wait_for_function("([sel, old]) => { const img = document.querySelectorAll(sel)[0];"
                                   " return img && img.getAttribute('src') !== old; }",
                                   arg=[f".jp-Notebook .jp-Cell:nth-child({me.page.evaluate(CELL_IDS).index(WIDGET_NOTEBOOKS[notebook]) + 1}) "
                                        ".jp-Cell-outputArea img", before], timeout=30_000)
            # let the kernel finish every redraw the key presses asked for before the screenshot
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(1, timeout=60_000)
            page.wait_for_timeout(1000)
            me.screenshot(f"{notebook}-widget-changed", cell)
        except Exception:
            me.screenshot(f"{notebook}-failure")
            raise
        finally:
            browser.close()


def test_the_grading_report_renders_in_chromium(sample_class, tmp_path):
    """The instructor's report page of the graded sample class, opened from disk: the histogram is drawn (a
    decoded image), the test-cell table is filled, and nothing is fetched from the network."""
    from autograder import report

    _, ws, _ = sample_class
    index, *pages = report.write(ws, ["01_binary_rnn"], tmp_path / "report")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(pages[0].as_uri())
            expect(page.locator("tr[data-test]")).to_have_count(8)
            width = page.locator("img").first.evaluate("img => img.complete ? img.naturalWidth : 0")
            assert width > 300, f"the score histogram did not render (naturalWidth {width})"
            page.screenshot(path=str(ARTIFACTS / "report-01_binary_rnn.png"), full_page=True)
            page.goto(index.as_uri())
            expect(page.locator("tr[data-assignment]")).to_have_count(1)
            assert [u for u in requests if not u.startswith(("file:", "data:"))] == [], requests
        finally:
            browser.close()
