"""The grading engine, apart from the commands that use it (``autograder/cli.py`` and the verbs beside it).

One job per module: :mod:`.outcomes` (the outcome model, statuses, the ledger, CSV and table), :mod:`.gradebook`
(every access to nbgrader's gradebook), :mod:`.preflight` (a submission's checks before any kernel starts),
:mod:`.sandbox` (the kernel's sandbox and its path policy), :mod:`.grade` (one submission graded by a worker
process), :mod:`.worker` (that process: ``python -m autograder.grading.worker --serve``) and :mod:`.engine` (a class:
discover, preflight once into jobs, run them locally or on Dask, merge the results as the gradebook's single writer).
"""
