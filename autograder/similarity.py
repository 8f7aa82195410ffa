"""Near-identical solutions: between two students, and between a student and the engine's source.

Code is compared on normalised tokens (Python's `tokenize`): every name becomes `V` except
keywords, builtins and attribute names (so renamed variables still match, and `np.exp` is not
`np.log`), every string `S`; comments and blank lines go. Each run of K tokens is hashed with a
stable hash and winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for
document fingerprinting", SIGMOD 2003) keeps the smallest hash of every window of WINDOW
k-grams: a shared run of K + WINDOW - 1 tokens or more is always found. The hash is stable
(blake2b, not Python's per-process `hash()`), so a worker fingerprints the notebook it grades,
on any machine, the result file keeps the fingerprints, and the TA's machine only compares them.

A solution is compared only when it has MIN_LINES lines of its own in a row (lines of the
released cell, blank lines and comments aside): short answers are written alike by honest
students, and so are three one-line answers between the released `def` lines of a cell. Two
fingerprints are near-identical when at least MIN_SHARED of them are shared and that is NEAR of
the smaller one (a copy that was extended still counts).

    fp = fingerprint(student_cell, boilerplate=released_cell)    # None: too short to compare
    near_identical(fp.hashes, other.hashes)
    engine_matches(fp.hashes)          # [(EngineFunction, share)]: course/ functions it copies
    class_matches(fingerprints)        # [Match]: the pairs of a graded class
"""

import ast
import bisect
import builtins
import functools
import hashlib
import importlib.util
import io
import itertools
import json
import keyword
import textwrap
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from autograder import results
from autograder.cells import cells_by_id, grade_id, is_solution

K = 12            # tokens per k-gram
WINDOW = 4        # k-grams per winnowing window
MIN_LINES = 3     # lines of its own in a row a solution needs to be compared
MIN_SHARED = 6    # fingerprints two solutions must share ...
NEAR = 0.8        # ... and the share of the smaller one's fingerprints that makes them alike
COMMON = 0.02     # a hash more solutions of an exercise share than this share of them ...
COMMON_MIN = 10   # ... and than this many is how everyone writes it: left out between students

KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(
    n for n in dir(builtins) if not n.startswith("_"))
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
STRINGS = {tokenize.STRING} | {getattr(tokenize, name) for name in
                               ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                               if hasattr(tokenize, name)}


@dataclass(frozen=True)
class Fingerprint:
    """The winnowed hashes of a piece of code, and for each the lines (1-based, first and last)
    of the tokens it covers."""

    hashes: frozenset
    lines: dict          # {hash: (first line, last line)}


def tokens(code):
    """[(symbol, line)] of `code`, normalised; IPython's magic and shell lines are left out.
    Code that cannot be tokenized to its end gives the tokens up to the error."""
    text = "\n".join(line for line in code.splitlines()
                     if not line.lstrip().startswith(("%", "!"))) + "\n"
    found, previous = [], None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in SKIPPED:
                continue
            if tok.type == tokenize.NAME:
                symbol = (tok.string if tok.string in KEPT_NAMES or previous == "."
                          else "V")
            elif tok.type in STRINGS:
                symbol = "S"
            elif tok.type == tokenize.NEWLINE:
                symbol = ";"
            elif tok.type in (tokenize.INDENT, tokenize.DEDENT):
                symbol = ">" if tok.type == tokenize.INDENT else "<"
            else:
                symbol = tok.string
            if symbol == "S" and found and found[-1][0] == "S":
                continue      # adjacent strings (and an f-string's parts) are one string
            found.append((symbol, tok.start[0]))
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return found


def kgram_hashes(toks):
    """The stable hash of every run of K tokens, in order."""
    return [int.from_bytes(hashlib.blake2b(
        "\x1f".join(s for s, _ in toks[i:i + K]).encode(), digest_size=8).digest(), "big")
        for i in range(len(toks) - K + 1)]


def own_run(code, boilerplate=""):
    """The most lines of `code` in a row that are its own: not in `boilerplate` (blank lines and
    comments are skipped, a line of `boilerplate` ends a run)."""
    given = {line.strip() for line in boilerplate.splitlines()}
    best = run = 0
    for line in code.splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            run = 0 if text in given else run + 1
            best = max(best, run)
    return best


def fingerprint(code, boilerplate=""):
    """The Fingerprint of `code`, without any k-gram of `boilerplate` (the released cell);
    None when it has fewer than MIN_LINES lines of its own in a row (own_run)."""
    if own_run(code, boilerplate) < MIN_LINES:
        return None
    given = set(kgram_hashes(tokens(boilerplate))) if boilerplate else set()
    return winnowed(tokens(code), given)


def winnowed(toks, given=frozenset()):
    """The Fingerprint of a token list: the smallest hash of each window (the rightmost on a
    tie), hashes in `given` left out; None when none is left."""
    hashes = kgram_hashes(toks)
    picked = set(range(len(hashes))) if len(hashes) < WINDOW else {
        min(range(start + WINDOW - 1, start - 1, -1), key=hashes.__getitem__)
        for start in range(len(hashes) - WINDOW + 1)}
    kept, lines = set(), {}
    for i in sorted(picked):
        h = hashes[i]
        if h in given:
            continue
        kept.add(h)
        first, last = lines.get(h, (toks[i][1], toks[i + K - 1][1]))
        lines[h] = (min(first, toks[i][1]), max(last, toks[i + K - 1][1]))
    return Fingerprint(frozenset(kept), lines) if kept else None


def share(a, b):
    """The share of the smaller set of hashes that the other holds too (0 when one is empty)."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def near_identical(a, b):
    return len(a & b) >= MIN_SHARED and share(a, b) >= NEAR


def solution_fingerprints(nb, release):
    """{grade_id: sorted hashes} of the solution code cells of notebook `nb` that are long
    enough to compare, each without what its released cell (in notebook `release`) holds."""
    released = cells_by_id(release)
    found = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if cell.cell_type == "code" and is_solution(cell) and gid not in found:
            given = released.get(gid)
            fp = fingerprint(cell.source, given.source if given is not None else "")
            if fp is not None:
                found[gid] = sorted(fp.hashes)
    return found


def cell_sources(nb):
    """{grade_id: source} of the solution code cells of a notebook (the first of each)."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and is_solution(cell):
            found.setdefault(grade_id(cell), cell.source)
    return found


@dataclass(frozen=True)
class SideBySide:
    """A Match with the code of both sides, and the lines (1-based) their shared fingerprints
    cover in each: what the TA's report shows."""

    match: object
    code: str
    other_code: str
    marked: frozenset
    other_marked: frozenset


def side_by_side(match, code, other_code, boilerplate=""):
    """The SideBySide of a Match. boilerplate: the released cell (the engine has none)."""
    a = fingerprint(code, boilerplate)
    b = fingerprint(other_code, "" if match.engine else boilerplate)
    both = a.hashes & b.hashes if a is not None and b is not None else frozenset()
    return SideBySide(match, code, other_code, _covered(a, both), _covered(b, both))


def _covered(fp, hashes):
    found = set()
    for h in hashes:
        first, last = fp.lines[h]
        found.update(range(first, last + 1))
    return frozenset(found)


@dataclass(frozen=True)
class Match:
    """Two near-identical solutions of one exercise: `student`'s and `other`'s (another
    student's id, or for `engine` the EngineFunction's `where`); share: see share()."""

    assignment: str
    cell: str
    student: str
    other: str
    share: float
    engine: bool = False


def fingerprints_path(out, assignment, student):
    return Path(out) / "work" / "fingerprints" / assignment / f"{student}.json"


def write_fingerprints(out, assignment, student, input_hash, fingerprints):
    """Keep a graded notebook's solution_fingerprints beside its result, atomically (written
    before the result: a result is never without them)."""
    results.write_json_atomic(fingerprints_path(out, assignment, student),
                              {"input_hash": input_hash, "cells": fingerprints})


def load_fingerprints(out, assignment, student, input_hash):
    """The stored fingerprints of a notebook graded from `input_hash`; {} when there are none."""
    try:
        data = json.loads(fingerprints_path(out, assignment, student).read_text())
    except (OSError, ValueError):
        return {}
    return data.get("cells", {}) if isinstance(data, dict) and \
        data.get("input_hash") == input_hash else {}


def class_matches(fingerprints, functions=None):
    """[Match] of a class, from {(student, assignment): {grade_id: hashes}}: each pair of
    students with near-identical solutions of an exercise, and each solution near-identical to
    a function of the engine (the closest one). A hash that more than max(COMMON_MIN, COMMON of
    the class) solutions of the exercise share is left out: that is how everyone writes it."""
    by_cell = defaultdict(dict)
    for (student, assignment), cells in fingerprints.items():
        for gid, hashes in cells.items():
            by_cell[assignment, gid][student] = frozenset(hashes)
    found = []
    for (assignment, gid), solutions in sorted(by_cell.items()):
        holders = defaultdict(list)
        for student, hashes in solutions.items():
            for h in hashes:
                holders[h].append(student)
        limit = max(COMMON_MIN, COMMON * len(solutions))
        common = {h for h, who in holders.items() if len(who) > limit}
        candidates = {pair for h, who in holders.items() if h not in common
                      for pair in itertools.combinations(sorted(who), 2)}
        for a, b in sorted(candidates):
            mine, theirs = solutions[a] - common, solutions[b] - common
            if near_identical(mine, theirs):
                found.append(Match(assignment, gid, a, b, share(mine, theirs)))
        for student, hashes in sorted(solutions.items()):
            best = engine_matches(hashes, functions)
            if best:
                function, part = best[0]
                found.append(Match(assignment, gid, student, function.where, part, engine=True))
    return found


# --- the engine ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class EngineFunction:
    """A function or method of the engine's source: where (e.g. "course/value.py:
    Value.backward, line 80"), its code and its Fingerprint."""

    where: str
    code: str
    fingerprint: Fingerprint


def engine_root():
    """The folder of the `course` package that students import."""
    return Path(importlib.util.find_spec("course").submodule_search_locations[0])


@functools.cache
def engine_functions(root=None):
    """Every function and method of the engine (course/**/*.py) long enough to compare."""
    root = Path(root) if root else engine_root()
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines, toks = text.splitlines(keepends=True), tokens(text)
        starts = [line for _, line in toks]
        shown = f"{root.name}/{path.relative_to(root).as_posix()}"
        for node, qualname in _functions(ast.parse(text)):
            code = textwrap.dedent("".join(lines[node.lineno - 1:node.end_lineno]))
            if own_run(code) < MIN_LINES:
                continue
            mine = toks[bisect.bisect_left(starts, node.lineno):
                        bisect.bisect_right(starts, node.end_lineno)]
            while mine and mine[0][0] in "<>":   # the indentation it starts at is the file's
                mine.pop(0)
            fp = winnowed([(s, line - node.lineno + 1) for s, line in mine])
            if fp is not None:
                found.append(EngineFunction(f"{shown}: {qualname}, line {node.lineno}", code, fp))
    return tuple(found)


def _functions(tree, prefix=""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, prefix + node.name
            yield from _functions(node, prefix + node.name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")


def engine_matches(hashes, functions=None):
    """[(EngineFunction, share)] of the engine functions near-identical to `hashes` (a student's
    fingerprint), the closest first."""
    functions = engine_functions() if functions is None else functions
    found = [(f, share(hashes, f.fingerprint.hashes)) for f in functions
             if near_identical(hashes, f.fingerprint.hashes)]
    return sorted(found, key=lambda pair: (-pair[1], pair[0].where))
