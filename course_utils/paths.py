"""Where data and derived files live.

- The **data root** (``COURSE_DATA_DIR``) holds the data sets in their usual layouts
  (``FashionMNIST/raw/...``, ``aclImdb/...``). It may be a read-only shared copy: nothing here
  writes into it unless a download is needed.
- The **cache folder** (``COURSE_CACHE_DIR``) holds everything derived (vocabularies, encoded arrays,
  checkpoints, fast-profile results), keyed by the parameters that made it.

Both default to per-user folders (``$XDG_CACHE_HOME/course-kit/...`` or ``~/.cache/course-kit/...``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from pathlib import Path
from typing import Any

from . import settings


def _user_cache_base() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "course-kit"


def data_root() -> Path:
    """The data root: ``COURSE_DATA_DIR`` or ``~/.cache/course-kit/data``. Not created here."""
    return settings.current().data_dir or _user_cache_base() / "data"


def cache_dir(*parts: str) -> Path:
    """A folder under the cache root (``COURSE_CACHE_DIR`` or ``~/.cache/course-kit/cache``), created."""
    root = settings.current().cache_dir or _user_cache_base() / "cache"
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(**params: Any) -> str:
    """A short stable hash of keyword parameters, for naming derived files.

    >>> cache_key(max_size=10000, length=400) == cache_key(length=400, max_size=10000)
    True
    """
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def repo_root() -> Path | None:
    """The course folder when ``course_utils`` is used from one, else ``None``: a checkout of the course
    repository, or the student bundle (``python -m autograder bundle``, marked by a ``COURSE_BUNDLE`` file)."""
    here = Path(__file__).resolve().parent.parent
    if not (here / "pyproject.toml").is_file():
        return None
    return here if (here / "solutions").is_dir() or (here / "COURSE_BUNDLE").is_file() else None


def fingerprint(*objects: Any) -> str:
    """A hash of the source code of functions / classes (their repr for anything else).

    Derived files made with a student's code are keyed by it, so that fixing a bug and rerunning
    recomputes them instead of loading the buggy result.
    """
    h = hashlib.sha256()
    for obj in objects:
        try:
            text = inspect.getsource(obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj))
        except (OSError, TypeError):
            text = repr(obj)
        h.update(text.encode())
    return h.hexdigest()[:16]


def caching_enabled() -> bool:
    """Whether derived files (encoded corpora, checkpoints) are reused from the cache.

    Off under nbgrader (``NBGRADER_EXECUTION``: every submission computes its own) and when
    ``COURSE_CHECKPOINTS=0``.
    """
    now = settings.current()
    return now.checkpoints and not now.grading
