"""Before pytest collects anything: build the source notebooks from their jupytext scripts; after
it has collected: put the tests in the order they run in, for pytest-xdist's workers too.

nbval runs `source/*/*.ipynb` and the nbgrader tests read them, but only the scripts
(`source/<a>/<a>.py`) are committed (autograder/sources.py). This file sits at the root so that it
is loaded whatever part of the suite runs; the suite's fixtures are in tests/conftest.py.

`make test` runs the suite on pytest-xdist workers with `--dist loadgroup`: the tests of one
`xdist_group` run on one worker, so an expensive fixture is built once. A module whose fixtures
grade a class or start servers says `pytestmark = pytest.mark.xdist_group(...)`; each notebook
that nbval runs is a group of its own (its cells share one kernel). Slow tests come first, the
longest groups first of all (LONGEST_FIRST), so that the run ends on quick ones.
"""

import pytest
from nbval.plugin import IPyNbCell

from autograder import sources

# The xdist groups that take longest, in the order they should start (two to five minutes each on
# the two-core machine). The other slow tests start after them, then the quick ones.
LONGEST_FIRST = ("planted-course", "hostile-class", "sandbox", "cluster", "robustness", "rerun")


def pytest_configure(config):
    try:
        sources.build()             # the controller first, then each worker finds nothing to do
    except sources.SourceConflict as e:
        raise pytest.UsageError(str(e)) from None


def xdist_groups(item):
    return {str(m.args[0] if m.args else m.kwargs.get("name", "default"))
            for m in item.iter_markers("xdist_group")}


def run_order(item):
    """Sort key: the LONGEST_FIRST groups in their order, the other slow tests, the other groups
    (a notebook under nbval: half a minute), then the quick tests, which fill in at the end."""
    groups = xdist_groups(item)
    ranks = [LONGEST_FIRST.index(g) for g in groups if g in LONGEST_FIRST]
    if ranks:
        return (0, min(ranks))
    return (1 if item.get_closest_marker("slow") else 2 if groups else 3, 0)


def pytest_itemcollected(item):
    if isinstance(item, IPyNbCell):
        item.add_marker(pytest.mark.xdist_group(f"nbval:{item.parent.nodeid}"))


def pytest_collection_modifyitems(items):
    items.sort(key=run_order)  # stable: the tests of a module keep their order
