"""Run a snippet in a fresh interpreter (import costs and sys.modules are per process)."""

import subprocess
import sys


def run_python(code: str) -> str:
    """Run ``code`` with this interpreter in a new process and return its stdout."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout
