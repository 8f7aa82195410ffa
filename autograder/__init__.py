"""The TA's autograder: a folder (or zip) of submissions in, grades, feedback and a report out.

    python -m autograder grade SUBMISSIONS --out graded/     (`make autograde SUBMISSIONS=...`)

The grading pipeline is built on real nbgrader (0.9.6), one small module per step (the package
holds the TA's other tools too; README.md describes them):

    intake.py     collect: the files of a folder or zip, and whose they are
    plan.py       one entry per (student, assignment): a notebook to grade, normalised, or a
                  status decided without running (no submission, unreadable, ...)
    templates.py  the release and gradebook of each assignment, generated once per run
    pool.py       parallel worker processes, a time limit per notebook
    worker.py     one worker: `nbgrader autograde` of one notebook in its own course folder
    extract.py    scores and failure messages of a graded notebook
    results.py    statuses; Result, one per student and assignment; one result file per
                  graded notebook (re-runs resume from them)
    merge.py      one nbgrader gradebook of the class
    tables.py     grades.csv, tests.csv, intake.csv
    feedback.py   a page per student and assignment, without hidden tests or solutions
    report.py     report.html for the TA, with plots
    progress.py   the progress line
    demo.py       a made-up class, graded when no submissions are given
    cells.py      nbgrader's marks on a notebook's cells, read in one place
    sandbox/      students' kernels in bubblewrap, under limits
    canary.py     a last cell that detects a tampered checker (canary_payload.py runs it)
    scan.py       the static scan of the students' code
    pipeline.py   the run, step by step

Nothing in `course/`, and nothing students receive, imports from here.
"""
