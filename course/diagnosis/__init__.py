"""The parts of course.diagnose (the public entry point), one job each.

    problem.py     Call (what was checked), Problem (one wrong result), Diagnosis (the verdict),
                   pose (a Problem from arrays of any kind)
    numerics.py    Numerics: f re-evaluated on changed problems, by central differences
    words.py       the kinds, their words and generic hints, the phrases of a message
    values.py      hypotheses on the numbers alone (any mode)
    shapes.py      hypotheses for a result of the wrong shape
    vjp.py         hypotheses only reverse mode has (another input, u = 1, an operand transposed)
    jvp.py         hypotheses only forward mode has (tangents of ones, swapped, transposed)
    registry.py    the hypotheses of each mode in the order they are tried; explain()
    traversal.py   the .grad of every node of a scalar graph after a backward pass
"""
