"""Shared helpers for the course notebooks.

The package is organised by concept, one small module each:

- :mod:`course_utils.profile`  -- the ``full`` / ``fast`` run profile and budgets drawn from it
- :mod:`course_utils.seeding`  -- one call that seeds python, numpy and torch
- :mod:`course_utils.device`   -- GPU when present, CPU otherwise
- :mod:`course_utils.paths`    -- the data root and the separate cache folder
- :mod:`course_utils.data`     -- Fashion-MNIST and IMDB loaders (real files, real downloads)
- :mod:`course_utils.plotting` -- loss curves and image grids
- :mod:`course_utils.checks`   -- assertions for test cells whose messages say expected vs given
- :mod:`course_utils.results`  -- recording a notebook's headline numbers in ``results/<id>.json``
- :mod:`course_utils.widgets`  -- ipywidgets that let students poke at their own code
- :mod:`course_utils.progress` -- progress bars that stay quiet where nobody watches them

Nothing here is a graded answer: the student's functions live in the notebooks, and
``tests/test_no_graded_answers.py`` checks that none of the spec's graded names is defined here.
"""

__version__ = "0.1.0"
