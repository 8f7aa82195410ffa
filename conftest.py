"""Before pytest collects anything: build the source notebooks from their jupytext scripts.

nbval runs `source/*/*.ipynb` and the nbgrader tests read them, but only the scripts
(`source/<a>/<a>.py`) are committed (autograder/sources.py). This file sits at the root so that it
is loaded whatever part of the suite runs; the suite's fixtures are in tests/conftest.py.
"""

import pytest

from autograder import sources


def pytest_configure(config):
    try:
        sources.build()
    except sources.SourceConflict as e:
        raise pytest.UsageError(str(e)) from None
