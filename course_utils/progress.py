"""Progress bars for notebook loops.

``tqdm.auto`` renders a widget in JupyterLab and text elsewhere. The bars print their timings, which
is why nbval's sanitizer (``tests/nbval_sanitize.cfg``) masks them and why no output check is ever put
on a cell with a bar.
"""

from __future__ import annotations

from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, leave: bool = True):
    """Wrap ``iterable`` in a tqdm bar with a description."""
    return tqdm(iterable, desc=desc, total=total, leave=leave, dynamic_ncols=True)
