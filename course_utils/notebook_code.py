"""The course's own definitions (networks, losses) taken from a notebook's cells, for scripts.

The training benchmark and the reference runs must train *the notebooks' networks*, not copies that
drift away from them. This module reads a notebook, picks top-level ``def`` / ``class`` statements by
name from its code cells (never running the rest of a cell: no training, no data loading) and executes
them in a namespace that has the imports every notebook starts with.

It reads the student release (``notebooks/``) by default: given (locked) cells are the same there as
in ``solutions/``. Definitions that are a student's answer exist only in ``solutions/``; ask for them
with ``source="solutions"`` (a checkout of the course repository is needed).
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Literal

from .paths import repo_root

Source = Literal["notebooks", "solutions"]

PRELUDE = (
    "import math\n"
    "import numpy as np\n"
    "import torch\n"
    "import torch.nn.functional as F\n"
    "from torch import nn\n"
    "from torch.nn.utils.parametrizations import spectral_norm\n"
)


def notebook_path(notebook_id: str, source: Source = "notebooks") -> Path:
    """``<repo>/<source>/<id>/<id>.ipynb``; a clear error outside a checkout or for an unknown id."""
    root = repo_root()
    if root is None:
        raise FileNotFoundError(f"reading {source}/{notebook_id} needs a checkout of the course repository")
    path = root / source / notebook_id / f"{notebook_id}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"no notebook {path}")
    return path


def _code_cells(path: Path) -> Iterable[str]:
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            yield "".join(cell["source"])


def _top_level_statements(notebook_id: str, source: Source) -> Iterable[tuple[str, ast.stmt]]:
    """``(cell text, statement)`` for every top-level statement of the notebook's code cells, in order; cells that
    are not valid Python (IPython magics, a release's TODO stubs) are skipped."""
    for text in _code_cells(notebook_path(notebook_id, source)):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in tree.body:
            yield text, node


def definition_sources(notebook_id: str, names: Iterable[str], source: Source = "notebooks") -> dict[str, str]:
    """``{name: source text}`` of the top-level functions / classes ``names`` of a notebook, in cell order.

    Cells that are not valid Python (IPython magics, a release's TODO stubs) are skipped. A name
    defined twice keeps its last definition, as running the notebook would.
    """
    wanted, found = set(names), {}
    for text, node in _top_level_statements(notebook_id, source):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted:
            found[node.name] = ast.get_source_segment(text, node, padded=False)
            # decorators are part of the definition
            if node.decorator_list:
                lines = text.splitlines()
                found[node.name] = "\n".join(lines[node.decorator_list[0].lineno - 1:node.end_lineno])
    missing = wanted - set(found)
    if missing:
        raise KeyError(f"{source}/{notebook_id} defines no {sorted(missing)} at the top level of a code cell")
    return {name: found[name] for name in names}


def import_statements(notebook_id: str, source: Source = "notebooks") -> list[str]:
    """The top-level ``import`` / ``from ... import`` statements of a notebook's code cells, in order."""
    return [ast.get_source_segment(text, node) for text, node in _top_level_statements(notebook_id, source)
            if isinstance(node, (ast.Import, ast.ImportFrom))]


def load_definitions(notebook_id: str, names: Iterable[str], source: Source = "notebooks",
                     constants: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute the definitions ``names`` of a notebook and return them by name.

    The notebook's own top-level imports run first (a definition may use a module its cell imported);
    ``constants`` are other globals the definitions refer to (for example a default ``z_dim=Z_DIM``).
    """
    names = list(names)
    sources = definition_sources(notebook_id, names, source)
    namespace: dict[str, Any] = {"__name__": f"course_notebook_{notebook_id}"}
    exec(compile(PRELUDE, "<prelude>", "exec"), namespace)
    for statement in import_statements(notebook_id, source):
        exec(compile(statement, f"<{source}/{notebook_id}:imports>", "exec"), namespace)
    namespace.update(constants or {})
    for name, text in sources.items():
        exec(compile(text, f"<{source}/{notebook_id}:{name}>", "exec"), namespace)
    return {name: namespace[name] for name in names}


def constant_sources(notebook_id: str, names: Iterable[str], source: Source = "notebooks") -> dict[str, str]:
    """``{name: source text}`` of the top-level assignments ``NAME = <literal>`` of a notebook (its last one each),
    including names unpacked from a tuple of values (``Z_DIM, BATCH_SIZE = 64, 64``).

    These are the notebook's declared data (a table of training recipes, its sizes): read, never run.
    """
    wanted, found = set(names), {}
    for text, node in _top_level_statements(notebook_id, source):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, value = node.targets[0], node.value
        if isinstance(target, ast.Name):
            pairs = [(target, value)]
        elif (isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts)
              and all(isinstance(t, ast.Name) for t in target.elts)):
            pairs = list(zip(target.elts, value.elts))
        else:
            continue
        for name, element in pairs:
            if name.id in wanted:
                found[name.id] = ast.get_source_segment(text, element)
    missing = wanted - set(found)
    if missing:
        raise KeyError(f"{source}/{notebook_id} assigns no {sorted(missing)} at the top level of a code cell")
    return {name: found[name] for name in names}


def load_constants(notebook_id: str, names: Iterable[str], source: Source = "notebooks") -> dict[str, Any]:
    """The values of the literal top-level assignments ``names`` of a notebook (``ast.literal_eval``: data only;
    a value that is not a literal raises ValueError naming it)."""
    out = {}
    for name, text in constant_sources(notebook_id, names, source).items():
        try:
            out[name] = ast.literal_eval(text)
        except ValueError as exc:
            raise ValueError(f"{source}/{notebook_id}: {name} is not a plain literal ({exc})") from None
    return out


def sources_fingerprint(*texts: str) -> str:
    """A short hash of source texts (order matters), for provenance and staleness checks."""
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]
