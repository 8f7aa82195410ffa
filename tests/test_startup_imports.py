"""What each nbgrader command, grading worker and Jupyter server imports when it starts.

jsonschema 4.25 and newer, through the format-nongpl extra that jupyter-events asks for, load
rfc3987-syntax, which builds some 35 Lark parsers at import: about 2 s of CPU in every process
that imports nbformat (pyproject.toml pins jsonschema below 4.25 for this). A suite of a few
hundred such processes, and a TA's grading of a class, pay it each time.
"""

import subprocess
import sys

import pytest

SLOW_AT_IMPORT = ("rfc3987_syntax", "lark")


@pytest.mark.parametrize("module", ["nbformat", "nbgrader.apps", "jupyter_events.validators"])
def test_starting_does_not_build_parsers_nobody_uses(module):
    probe = (f"import sys, {module}\n"
             f"print(' '.join(m for m in {SLOW_AT_IMPORT!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=120).stdout.split()
    assert not loaded, (
        f"`import {module}` loads {', '.join(loaded)}: about 2 s of CPU in every process that "
        f"imports it. Is jsonschema >= 4.25 installed (see its pin in pyproject.toml)?")
