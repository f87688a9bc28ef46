"""Where the kit meets the platforms a course runs on; glue only, calling the grading engine (``autograder.grading``).

- :mod:`.gradescope`: the autograder zip Gradescope builds its image from, and what its ``run_autograder`` runs.
- :mod:`.formgrader`: the instructor's nbgrader configuration, so that the formgrader's buttons grade through the kit.
- :mod:`.hub`: a course on one JupyterHub machine (system users, nbgrader's exchange, the formgrader for instructors).
- :mod:`.lti`: grades back to an LMS (Canvas, Moodle) through LTI 1.3 Assignment and Grade Services.
"""
