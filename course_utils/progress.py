"""Progress bars for notebook loops.

``tqdm.auto`` renders a widget in JupyterLab and text elsewhere. The bars print their timings, which
is why nbval's sanitizer (``tests/nbval_sanitize.cfg``) masks them and why no output check is ever put
on a cell with a bar.
"""

from __future__ import annotations

from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
_shown = True


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None, leave: bool = True):
    """Wrap ``iterable`` in a tqdm bar with a description."""
    return tqdm(iterable, desc=desc, total=total, leave=leave, dynamic_ncols=True, disable=not _shown)


def show_progress(shown: bool) -> None:
    """Show bars (the default) or not: a training run forked from a notebook's kernel must not draw widgets
    through the kernel's sockets (:mod:`course_utils.training.parallel`)."""
    global _shown
    _shown = shown
