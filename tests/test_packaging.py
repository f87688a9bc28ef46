"""pyproject.toml and environment.yml describe the same environment."""

import shutil
import tomllib
from pathlib import Path

import pytest

import yaml

from conftest import ROOT


def _norm(spec: str) -> str:
    return spec.replace(" ", "").lower()


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [s for group in project["optional-dependencies"].values() for s in group]
    wanted = {_norm(s) for s in project["dependencies"] + extras}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: section"
    got = {_norm(s) for s in pip_lists[0] if not s.startswith("-e")}
    assert got == wanted, (
        f"environment.yml and pyproject.toml disagree.\n  only in pyproject: {sorted(wanted - got)}\n"
        f"  only in environment.yml: {sorted(got - wanted)}"
    )
    assert any(str(s).startswith("-e .") for s in pip_lists[0]), "environment.yml should install the kit itself"


def test_torch_is_pinned():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("torch==") for d in deps) and any(d.startswith("torchvision==") for d in deps)


def test_license_is_an_spdx_expression_with_its_file():
    """A license TOML table is deprecated by setuptools (builds stop working after 2027-02-18)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert isinstance(project["license"], str), f"license should be an SPDX string such as 'MIT', got {project['license']!r}"
    assert project.get("license-files") == ["LICENSE"] and (ROOT / "LICENSE").is_file()
    assert project["license"] in (ROOT / "LICENSE").read_text()


def _setuptools_warnings(pyproject) -> list[str]:
    import warnings

    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apply_configuration(Distribution(), str(pyproject))
    return [f"{w.category.__name__}: {str(w.message).strip().splitlines()[0]}" for w in caught]


def test_the_kit_and_the_student_bundle_configure_without_setuptools_warnings(tmp_path):
    """What `pip install` would print as deprecations of our own making (a licence table, for one)."""
    from autograder import bundle

    student = tmp_path / "pyproject.toml"
    student.write_text(bundle.pyproject("0.1.0"))
    (tmp_path / "README.md").write_text(bundle.STUDENT_README)
    shutil.copyfile(ROOT / "LICENSE", tmp_path / "LICENSE")
    for path in (ROOT / "pyproject.toml", student):
        assert _setuptools_warnings(path) == [], f"{path}: {_setuptools_warnings(path)}"
    legacy = tmp_path / "legacy.toml"
    legacy.write_text('[project]\nname = "x"\nversion = "0.1"\nlicense = {text = "MIT"}\n')
    assert _setuptools_warnings(legacy), "the check sees the deprecated licence table"


def _module_imports(top: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """For every module of package ``top`` (sub-packages included): the modules of ``top`` it imports (relative or
    absolute, at any depth of its code) and the names it imports them under."""
    import ast

    root = Path(__file__).resolve().parent.parent
    modules = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
               for p in sorted((root / top).rglob("*.py")) if "samples" not in p.parts}
    deps: dict[str, set[str]] = {}
    aliases: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        local: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    if f"{target}.{alias.name}" in modules:  # from package import module
                        found.add(f"{target}.{alias.name}")
                        local.add(alias.asname or alias.name)
                    elif target in modules:
                        found.add(target)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
        deps[name] = found - {name, package}
        aliases[name] = local
    return deps, aliases


@pytest.mark.parametrize("top", ["autograder", "course_utils"])
def test_the_modules_of_a_package_form_no_import_cycle_and_call_no_private_helper_of_another(top):
    """One job per module (issue 41): the grading modules (engine and commands) and the course package's depend on
    one another in one direction only, and none reaches into another's private names (``grade._one_line`` was such
    a call). Every import counts, the ones inside functions too."""
    import ast

    deps, aliases = _module_imports(top)
    root = Path(__file__).resolve().parent.parent
    private_calls = []
    for name in deps:
        path = root / (name.replace(".", "/") + ".py")
        if not path.is_file():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases[name] \
                    and node.attr.startswith("_") and not node.attr.startswith("__"):
                private_calls.append(f"{name}: {node.value.id}.{node.attr}")
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for dep in deps.get(module, ()):
            if dep in path:
                cycles.append(" -> ".join(path[path.index(dep):] + [dep]))
            elif dep in deps:
                visit(dep, path + [dep])

    for module in deps:
        visit(module, [module])
    assert not cycles, f"import cycles among {top} modules: {sorted(set(cycles))}"
    assert not private_calls, f"calls into another module's private names: {private_calls}"


def test_the_grading_engine_stands_apart_from_the_commands():
    """Issue 41: the engine (autograder/grading/) uses only the course's description and the grader's settings from
    the package around it, never a command (cli, release, report, export, bundle, gradescope, ...)."""
    deps, _ = _module_imports("autograder")
    shared = {"autograder.course", "autograder.grader_settings", "autograder.preprocessors",
              "autograder.preprocessors.sandboxed_execute"}
    for name, imported in deps.items():
        if name.startswith("autograder.grading"):
            outside = {d for d in imported if not d.startswith("autograder.grading") and d not in shared}
            assert not outside, f"the engine module {name} imports the commands {sorted(outside)}"


def test_the_grade_report_states_the_configured_kernel_limits(monkeypatch):
    """sandbox.describe reports the limits the kernels really get (the course configuration's), not the defaults."""
    from traitlets.config import Config

    from autograder import course, grader_settings as settings
    from autograder.grading import sandbox

    cfg = Config()
    cfg.SandboxedKernelManager.memory_bytes = 2 * 2**30
    cfg.SandboxedKernelManager.cpu_seconds = 300
    monkeypatch.setattr(course, "load_config", lambda: cfg)
    monkeypatch.setenv("COURSE_CELL_TIMEOUT", "45")
    line = sandbox.describe(True, settings.kernel_limits(), settings.current())
    assert "2 GiB memory" in line and "300 s CPU per kernel" in line and "45 s per cell" in line
    assert "600 s per notebook" in line
    monkeypatch.setenv("COURSE_NOTEBOOK_TIMEOUT", "ten minutes")
    with pytest.raises(ValueError, match="COURSE_NOTEBOOK_TIMEOUT must be a whole number of seconds"):
        settings.current()


def test_the_grading_workspace_is_autograder_unless_told_otherwise(monkeypatch, tmp_path):
    """The course spec fixes autograder/ as where the gradebook and nbgrader's folders live; COURSE_GRADING_DIR moves
    them (a folder per class, outside the checkout); nbgrader's own configuration reads the same place."""
    from autograder import course, grader_settings as settings

    monkeypatch.delenv("COURSE_GRADING_DIR", raising=False)
    assert settings.workspace().root == course.ROOT / "autograder"
    assert course.load_config().CourseDirectory.db_url == f"sqlite:///{course.ROOT / 'autograder' / 'gradebook.db'}"
    monkeypatch.setenv("COURSE_GRADING_DIR", str(tmp_path / "class-of-2027"))
    assert settings.workspace().root == tmp_path / "class-of-2027"
    directory = course.load_config().CourseDirectory
    assert directory.submitted_directory == str(tmp_path / "class-of-2027" / "submitted")
    assert directory.db_url == f"sqlite:///{tmp_path / 'class-of-2027' / 'gradebook.db'}"


def test_train_gan_and_fit_are_thin_facades_over_the_one_loop():
    """Issue 41: both trainers build a step strategy and callbacks and run ``loop.run``; each stays under 40 lines."""
    import ast
    import inspect

    from course_utils.training import gan, supervised

    for module, name in ((gan, "train_gan"), (supervised, "fit")):
        source = inspect.getsource(getattr(module, name))
        lines = len(source.rstrip().splitlines())
        assert lines < 40, f"{name} has {lines} lines; the loop's work belongs in course_utils.training.loop"
        calls = {n.func.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert "run" in calls, f"{name} does not hand its run to loop.run"
        assert "training_precision" not in source, f"{name} chooses its own precision (device.loop_precision does)"


def test_no_two_modules_of_the_kit_share_a_name():
    """Issue 41: a module's name says which one it is (two ``parallel.py`` and two ``settings.py`` once did not)."""
    root = Path(__file__).resolve().parent.parent
    seen: dict[str, list[str]] = {}
    for top in ("autograder", "course_utils", "grading_kernel"):
        for path in (root / top).rglob("*.py"):
            if "samples" not in path.parts and path.name not in ("__init__.py", "__main__.py"):
                seen.setdefault(path.name, []).append(str(path.relative_to(root)))
    shared = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not shared, f"modules that share a name: {shared}"
