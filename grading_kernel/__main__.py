"""``python -m grading_kernel``: start the guarded IPython kernel (the sandbox's kernel command)."""

from .kernel import GuardedKernelApp

if __name__ == "__main__":
    GuardedKernelApp.launch_instance()
