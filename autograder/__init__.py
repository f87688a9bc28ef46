"""The course's grading command line, built on nbgrader.

``python -m autograder release|grade|selftest|demo``; see :mod:`autograder.cli`.
"""

import os as _os
import sys as _sys

# nbgrader runs helper executables (``alembic``) by name; make sure the ones installed next to this
# interpreter are found even when the virtual environment is not activated.
_bin = _os.path.dirname(_sys.executable)
if _bin not in _os.environ.get("PATH", "").split(_os.pathsep):
    _os.environ["PATH"] = _bin + _os.pathsep + _os.environ.get("PATH", "")

import warnings as _warnings

# nbgrader's gradebook code trips SQLAlchemy 2's autoflush warnings on every autograde; they are noise.
_warnings.filterwarnings("ignore", message="Object of type <Submitted")
