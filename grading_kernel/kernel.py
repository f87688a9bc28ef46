"""The IPython kernel the autograder starts for each submission: ``python -m grading_kernel``.

It is ipykernel's kernel with two additions (see :mod:`grading_kernel.guard`): the pristine state is
recorded when the kernel starts, before any student code; and when a cell's code, *as received from the
grader* (before IPython's input transformers see it), starts with the grade-cell marker that the
autograder adds, the state is restored before the cell runs.
"""

from __future__ import annotations

from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

GRADE_CELL_MARKER = "# [grader] test cell"


class GuardedKernel(IPythonKernel):
    """IPythonKernel that restores tampered state before every graded test cell."""

    def start(self):
        super().start()
        from grading_kernel import guard

        guard.snapshot()
        # held here, so that replacing grading_kernel.guard.restore later does not disable the guard
        self._restore_state = guard.restore

    async def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False,
                         **kwargs):
        if code.lstrip().startswith(GRADE_CELL_MARKER):
            self._restore_state(self.shell.user_ns)
        return await super().do_execute(code, silent, store_history, user_expressions, allow_stdin, **kwargs)


class GuardedKernelApp(IPKernelApp):
    kernel_class = GuardedKernel
