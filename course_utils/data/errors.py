"""The error raised when a data set is neither on disk nor downloadable."""

from __future__ import annotations

import contextlib
import socket
from typing import Iterator


class DataUnavailable(RuntimeError):
    """A data set is missing from the data root and could not be downloaded."""


@contextlib.contextmanager
def network_timeout(seconds: float = 30.0) -> Iterator[None]:
    """Bound every socket operation of a download, so that a dead network fails instead of hanging."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
