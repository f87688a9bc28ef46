"""Tamper resistance for graded test cells.

The autograder runs every submission in a kernel started by :mod:`grading_kernel.kernel`. At kernel
start, before any student code, :func:`snapshot` records the objects the tests rely on: the builtins, the
modules the tests use (``numpy``, ``numpy.testing``, ``torch`` and its functional API, ``math``,
``random``, ``course_utils.checks``), the code objects of the check helpers, ``sys.modules`` entries for
those modules, the exception and display hooks, and IPython's input / AST transformers and event
callbacks. Before each graded test cell runs, :func:`restore` puts all of it back and re-binds the
usual aliases (``np``, ``torch``, ``F``, ``nn``, the ``expect_*`` helpers) in the notebook's namespace.

So a submission that, say, replaces ``course_utils.checks.expect_close`` with a no-op, reassigns
``expect_close`` in the notebook, swaps ``sys.modules['numpy.testing']``, patches ``torch.allclose`` or
``builtins.isinstance``, rewrites a helper's ``__code__``, or installs an IPython input transformer that
empties the test cells, is graded as if it had not: its wrong answers stay wrong. What was restored is
printed in the cell's output, so the instructor sees it in the graded notebook.

What this cannot stop: code in the same process that goes looking for the guard itself (``gc``, frame
walking, patching the kernel object). The threat model in docs/grading.md lists it; the similarity report
(``python -m autograder similarity``) and the graded notebook's printed restorations are where an instructor
sees such code.
"""

from __future__ import annotations

import builtins
import importlib
import sys
import types
from typing import Any

PROTECTED_MODULES = ("numpy", "numpy.testing", "torch", "torch.nn", "torch.nn.functional", "math", "random",
                     "course_utils", "course_utils.checks", "grading_kernel.guard")
ALIASES = {"np": "numpy", "torch": "torch", "F": "torch.nn.functional", "nn": "torch.nn", "math": "math",
           "random": "random"}

_PRISTINE: dict[str, Any] | None = None


def _shell():
    """The running IPython shell (also outside cell execution, when ``get_ipython`` is not a builtin)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def snapshot() -> None:
    """Record the pristine state (call once, before any student code runs)."""
    global _PRISTINE
    modules = {}
    for name in PROTECTED_MODULES:
        try:
            modules[name] = importlib.import_module(name)
        except ImportError:
            continue
    codes = {}
    for mod_name in ("course_utils.checks", "numpy.testing"):
        mod = modules.get(mod_name)
        for attr, value in vars(mod).items() if mod else ():
            if isinstance(value, types.FunctionType):
                codes[(mod_name, attr)] = (value, value.__code__, value.__defaults__, value.__kwdefaults__)
    shell = _shell()
    _PRISTINE = {
        "builtins": dict(vars(builtins)),
        "modules": modules,
        "module_dicts": {n: dict(vars(m)) for n, m in modules.items()},
        "codes": codes,
        "tensor_attrs": dict(vars(modules["torch"].Tensor)) if "torch" in modules else {},
        "hooks": (sys.excepthook, sys.displayhook, sys.gettrace(), sys.getprofile()),
        "shell": None if shell is None else {
            "input_transformers_cleanup": list(shell.input_transformers_cleanup),
            "input_transformers_post": list(shell.input_transformers_post),
            "ast_transformers": list(shell.ast_transformers),
            "events": {name: list(cbs) for name, cbs in shell.events.callbacks.items()},
        },
    }
    if "grading_kernel.guard" in _PRISTINE["module_dicts"]:
        _PRISTINE["module_dicts"]["grading_kernel.guard"]["_PRISTINE"] = _PRISTINE


def restore(namespace: dict | None = None) -> list[str]:
    """Put the pristine state back; returns (and prints) what had been changed."""
    if _PRISTINE is None:
        return []
    p = _PRISTINE
    changed: list[str] = []
    live_builtins = vars(builtins)
    for key in set(live_builtins) - set(p["builtins"]):
        del live_builtins[key]
        changed.append(f"builtins.{key} (added)")
    for key, value in p["builtins"].items():
        if live_builtins.get(key) is not value:
            live_builtins[key] = value
            changed.append(f"builtins.{key}")
    for name, module in p["modules"].items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
            changed.append(f"sys.modules[{name!r}]")
        live = vars(module)
        for key, value in p["module_dicts"][name].items():
            if live.get(key) is not value:
                setattr(module, key, value)
                changed.append(f"{name}.{key}")
    for (mod_name, attr), (func, code, defaults, kwdefaults) in p["codes"].items():
        if func.__code__ is not code or func.__defaults__ is not defaults or func.__kwdefaults__ is not kwdefaults:
            func.__code__, func.__defaults__, func.__kwdefaults__ = code, defaults, kwdefaults
            changed.append(f"{mod_name}.{attr}.__code__")
    if p["tensor_attrs"]:
        tensor = p["modules"]["torch"].Tensor
        for key, value in p["tensor_attrs"].items():
            if vars(tensor).get(key) is not value:
                try:
                    setattr(tensor, key, value)
                    changed.append(f"torch.Tensor.{key}")
                except (AttributeError, TypeError):
                    pass
    hooks = (sys.excepthook, sys.displayhook, sys.gettrace(), sys.getprofile())
    if hooks != p["hooks"]:
        sys.excepthook, sys.displayhook = p["hooks"][0], p["hooks"][1]
        sys.settrace(p["hooks"][2])
        sys.setprofile(p["hooks"][3])
        changed.append("sys hooks")
    shell = _shell()
    if shell is not None and p["shell"] is not None:
        for attr in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
            if list(getattr(shell, attr)) != p["shell"][attr]:
                getattr(shell, attr)[:] = p["shell"][attr]
                changed.append(f"IPython {attr}")
        for event, callbacks in p["shell"]["events"].items():
            if shell.events.callbacks.get(event) != callbacks:
                shell.events.callbacks[event] = list(callbacks)
                changed.append(f"IPython event {event}")
    if namespace is None and shell is not None:
        namespace = shell.user_ns
    if namespace is not None:
        changed += _rebind_aliases(namespace, p)
    if changed:
        print(f"[grader] restored {len(changed)} changed object(s) before this test: {', '.join(changed[:12])}"
              + (" ..." if len(changed) > 12 else ""))
    return changed


def _rebind_aliases(namespace: dict, p: dict) -> list[str]:
    changed = []
    for alias, module_name in ALIASES.items():
        module = p["modules"].get(module_name)
        if alias in namespace and module is not None and namespace[alias] is not module:
            namespace[alias] = module
            changed.append(f"notebook name {alias!r}")
    checks = p["module_dicts"].get("course_utils.checks", {})
    for name, value in checks.items():
        if name.startswith("expect_") or name in ("rel_error", "to_numpy"):
            if name in namespace and namespace[name] is not value:
                namespace[name] = value
                changed.append(f"notebook name {name!r}")
    return changed
