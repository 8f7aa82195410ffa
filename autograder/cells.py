"""Notebook cells as nbgrader marks them, and the names a cell's code imports.

nbgrader keeps its marks in `cell.metadata["nbgrader"]` (schema 3): `grade_id`, and the flags
`solution` (an answer cell), `grade` (a test cell, worth `points`), `locked` (read-only for
students) and `task`. Every function here takes nbformat nodes and plain dicts (a notebook read
with json) alike, and treats a cell whose marks are missing or broken, as a student's file may
have them, as a cell without marks. The grader, the tests and the benchmarks read the marks here.
"""

import ast


def nbgrader_meta(cell):
    """The cell's nbgrader metadata: a dict, {} when it has none (or something else)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    """The cell's grade_id, or None."""
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def is_solution(cell):
    """An answer cell: the student writes it."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell):
    """A graded cell (nbgrader's `grade`): a test cell, when it is code."""
    return bool(nbgrader_meta(cell).get("grade"))


def is_locked(cell):
    """A cell students may not change (nbgrader puts its text back before grading)."""
    return bool(nbgrader_meta(cell).get("locked"))


def points(cell):
    """The points of a graded cell (0.0 for any other)."""
    return float(nbgrader_meta(cell).get("points", 0) or 0)


def cell_name(cell, index):
    """How messages name the cell at `index` (0-based): its grade_id, else "cell N"."""
    return grade_id(cell) or f"cell {index + 1}"


def nbgrader_cells(nb, flag):
    """{grade_id: cell} of the cells whose nbgrader `flag` is set ('solution', 'grade' or
    'locked'), the first cell of each grade_id."""
    found = {}
    for cell in nb["cells"]:
        gid = grade_id(cell)
        if gid is not None and nbgrader_meta(cell).get(flag):
            found.setdefault(gid, cell)
    return found


def cells_by_id(nb):
    """{grade_id: cell} of every cell with a grade_id, the first cell of each."""
    found = {}
    for cell in nb["cells"]:
        gid = grade_id(cell)
        if gid is not None:
            found.setdefault(gid, cell)
    return found


def grade_ids(nb):
    """The set of grade_ids in a notebook (an nbformat node or the parsed JSON of a file;
    anything that is not a notebook has none)."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    return {gid for gid in map(grade_id, cells if isinstance(cells, list) else []) if gid}


def imported_names(node):
    """{name: dotted path} that one statement of a cell binds by importing: `import numpy as np`
    gives {"np": "numpy"}, `import os.path` {"os": "os"}, `from course import grad`
    {"grad": "course.grad"} (relative and star imports give nothing)."""
    found = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            top = alias.name.split(".")[0]
            found[alias.asname or top] = alias.name if alias.asname else top
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            if alias.name != "*":
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found
