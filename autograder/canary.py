"""Canaries: a last cell, added at grading time, that checks the checkers were not tampered with.

Hidden tests run in the same Python process as the student's code, after it: a solution cell can
replace `numpy.allclose`, `course.gradcheck.check_vjp`, the notebook's `close` helper or an
engine rule, and every later test passes. Such tampering cannot be prevented in-process, but it
can be detected. The canary cell runs after the hidden tests and checks:

- behaviour: the gradient checks reject known-wrong rules (a VJP, a JVP, a VJP transform, a
  mismatched JVP/VJP pair) and accept right ones; numpy's comparisons say 1 != 2; the engine
  gets known derivatives right; the notebook's `close` helper rejects different numbers;
- identity: every function of the `course` package (module functions, class methods, the rules
  in the primitives' tables) is the one compiled from course/ on disk; the numpy functions the
  tests use are numpy's; the helpers of the notebook's locked cells are the ones in the assignment;
  the names the locked cells import still point where they did; builtins are builtins;
- hooks: no trace or profile function, no IPython input or AST transformer and no event callback
  defined by the notebook (those could rewrite or silence the hidden tests).

The checks are canary_payload.py's function, pasted into the cell as text. It prints one line,
`BACKPROP-CANARY <nonce> <json>`, which `read_canary` reads back from the autograded notebook.
A missing line (the cell rewritten, its output suppressed) counts as tampering too. Where the
canary can tell which function replaced an original, the flag names the cell and line that
defined it.

Use in the grading pipeline:

    nb = add_canary_cell(submitted_nb, reference=release_nb)   # before nbgrader autograde
    ... autograde ...
    result = read_canary(autograded_nb)                          # after
    if result.tampered: score 0, and report result.flags (each with cell and line)
    strip_canary_cell(autograded_nb)                             # before feedback goes out
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.cells import cell_name, imported_names, is_locked, is_solution, is_test
from autograder.scan import Flag

MARKER = "# backprop-canary:"
OUTPUT_PREFIX = "BACKPROP-CANARY"
SEED = 0xC70F6907            # ipykernel's seed for cell file names (ipykernel.compiler)
PAYLOAD = Path(__file__).with_name("canary_payload.py")   # what the cell runs in the kernel


@dataclass
class CanaryResult:
    """What the canary found. ran: its line was read; tampered: the notebook must get 0 and a
    flag (a check failed, or the canary cell did not report although it was there); flags: one
    Flag per problem, with the cell and line when known: kind "tamper" (what makes `tampered`)
    or "shadowing" (a global hides a builtin the tests use: for a person to look at only)."""

    ran: bool
    tampered: bool
    flags: list = field(default_factory=list)
    checks: int = 0
    present: bool = True

    def summary(self):
        if not self.present:
            return "no canary cell in the notebook"
        if not self.tampered:
            return f"canary passed ({self.checks} checks)"
        return f"TAMPERED: {len(self.flags)} canary check(s) failed"


# --- the cell ---------------------------------------------------------------------------------

def add_canary_cell(nb, reference=None, nonce=None):
    """Return a copy of notebook `nb` with the canary appended as its last cell.

    reference: the assignment's own notebook (release or source), whose locked cells define the
    helpers to verify (default: nb itself; pass the release, since a submission's locked cells
    may have been edited before nbgrader restores them). The canary cell has no nbgrader metadata
    (it is not graded) and a random nonce."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))     # a deep copy
    strip_canary_cell(nb)
    params = canary_parameters(reference if reference is not None else nb,
                               nonce or secrets.token_hex(8))
    cell = nbformat.v4.new_code_cell(canary_source(params))
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        cell.pop("id", None)          # cell ids exist from nbformat 4.5 on
    cell.metadata["backprop_canary"] = True
    cell.metadata["tags"] = ["backprop-canary"]
    nb.cells.append(cell)
    return nb


def strip_canary_cell(nb):
    """Remove the canary cell(s) from `nb` in place (before feedback goes to the student)."""
    nb.cells = [c for c in nb.cells if not _is_canary(c)]
    return nb


def canary_parameters(nb, nonce):
    """What the canary needs to know, found outside the kernel: the helpers of the locked cells,
    the names they import, the numpy names the tests use, and where numpy and course live."""
    import numpy

    import course

    helpers, imports, numpy_names = {}, {}, set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        if is_test(cell):
            numpy_names |= _numpy_names(tree)
        if is_test(cell) or is_solution(cell) or not is_locked(cell):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                helpers[node.name] = ast.get_source_segment(cell.source, node, padded=False)
            else:
                imports.update(imported_names(node))
    return {
        "prefix": OUTPUT_PREFIX,
        "nonce": nonce,
        "numpy_dir": os.path.dirname(os.path.realpath(numpy.__file__)),
        "course_dir": os.path.dirname(os.path.realpath(course.__file__)),
        "helpers": helpers,
        "imports": imports,
        "numpy_names": sorted(numpy_names | {"allclose", "isclose", "array_equal",
                                             "testing.assert_allclose"}),
    }


def _payload_function(text):
    """The source of the payload module's one function (its docstring stays out of the cell,
    where it would become the notebook's __doc__)."""
    [function] = [node for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)]
    return ast.get_source_segment(text, function)


# Read once, at import: a worker grades for a whole run, and must paste the code it started with
# even if the file changes under it (a git pull while grading).
_PAYLOAD_SOURCE = _payload_function(PAYLOAD.read_text())


def canary_source(params):
    """The canary cell's code for these parameters."""
    return (f"{MARKER} integrity checks added by the grader, not part of the assignment "
            f"(nonce {params['nonce']})\n"
            f"{_PAYLOAD_SOURCE}\n"
            f"_canary({params!r}, globals())\n"
            f"del _canary\n")


def _numpy_names(tree):
    """'allclose', 'linalg.norm', ... for every np.<name> in a test cell."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = []
            inner = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in ("np", "numpy"):
                found.add(".".join(reversed(parts)))
    # keep only the longest chains (np.random.default_rng, not np.random as a function)
    return {n for n in found if not any(m.startswith(n + ".") for m in found)}


def _is_canary(cell):
    return cell.cell_type == "code" and (cell.metadata.get("backprop_canary")
                                         or cell.source.startswith(MARKER))


# --- reading the result -----------------------------------------------------------------------

def read_canary(nb):
    """The CanaryResult of an autograded notebook (one that ran the canary cell)."""
    cells = [c for c in nb.cells if _is_canary(c)]
    if not cells:
        return CanaryResult(ran=False, tampered=False, present=False)
    cell = cells[-1]
    match = re.search(r"\(nonce ([0-9a-f]+)\)", cell.source)
    nonce = match.group(1) if match else None
    report = None
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            for line in output.get("text", "").splitlines():
                if line.startswith(f"{OUTPUT_PREFIX} {nonce} "):
                    try:
                        report = json.loads(line[len(OUTPUT_PREFIX) + len(nonce) + 2:])
                    except ValueError:
                        report = None
    if report is None or report.get("nonce") != nonce:
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", [])
                  if o.get("output_type") == "error"]
        why = (f"it failed with {errors[0]}" if errors else
               "its cell was not run as written or its output was suppressed (an IPython input "
               "transformer, a replaced print or sys.stdout?)")
        flag = Flag("tamper", "canary", 0, "", f"the integrity check did not report: {why}")
        return CanaryResult(ran=False, tampered=True, flags=[flag])
    files = _cell_files(nb)
    flags = []
    for problem in report.get("problems", []):
        cell_name, line, code = "canary", 0, ""
        where = problem.get("where")
        if where:
            found = files.get(os.path.basename(where[0]))
            if found:
                cell_name, source = found
                lines = source.splitlines()
                line = int(where[1] or 0) + _leading_blank_lines(lines)
                code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        kind = "tamper" if problem.get("severity", "tamper") == "tamper" else "shadowing"
        flags.append(Flag(kind, cell_name, line, code, problem["what"]))
    return CanaryResult(ran=True, tampered=any(f.kind == "tamper" for f in flags), flags=flags,
                        checks=int(report.get("checks", 0)))


def _leading_blank_lines(lines):
    """How many lines IPython drops from the top of a cell before compiling it (its
    leading_empty_lines transform): the kernel's line numbers start after them."""
    count = 0
    for line in lines:
        if line and not line.isspace():
            break
        count += 1
    return count if count < len(lines) else 0


def _cell_files(nb):
    """{file name ipykernel gives a cell's code: (cell name, source)}, to name the cell that
    defined a function from its code object's co_filename."""
    files = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            files[f"{_murmur2(cell.source, SEED)}.py"] = (cell_name(cell, index), cell.source)
    return files


def _murmur2(text, seed):
    """ipykernel.compiler.murmur2_x86 (cell file names), without importing ipykernel."""
    data = text.encode("utf-8")
    length = len(data)
    h = seed ^ length
    m, r = 0x5BD1E995, 24
    rounded = length & ~3
    for i in range(0, rounded, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    left = length & 3
    if left == 3:
        h ^= data[rounded + 2] << 16
    if left >= 2:
        h ^= data[rounded + 1] << 8
    if left >= 1:
        h ^= data[rounded]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h
