# The course's verbs. Each one creates .venv when it is missing and installs what it
# needs; a stamp file inside .venv, newer than pyproject.toml, makes a second run quick.
#
#   make lab      set up and open the course in JupyterLab     (LAB_ARGS="--no-browser --port 8899")
#   make test     set up and run every test, cores + 1 workers  (PYTEST_ARGS="-x -k gates" PYTEST_WORKERS=0)
#   make test-quick  every test not marked slow, for the edit loop (a minute or two; PYTEST_ARGS=...)
#   make lint     ruff over the repository, the notebooks' scripts included
#   make bench    measure the engine against its peers         (BENCH_ARGS=...)
#   make release  build source/*/*.ipynb from their .py, regenerate release/ with nbgrader (ASSIGNMENTS="01-gates")
#   make autograde         grade a class into graded/: grades, feedback, report (SUBMISSIONS=dir-or-zip JOBS= ROSTER=; none: a demo class;
#                          CLUSTER=tcp://host:8786 or SCHEDULER_FILE=...: on a Dask cluster's workers)
#   make student-pack      build dist/<course>-student.zip: what students need, no answers (RELEASE=release)
#   make release-exchange  release every assignment to nbgrader's exchange (EXCHANGE=/srv/nbgrader/exchange ASSIGNMENTS=)
#   make clean    remove caches (keeps .venv and gradebook.db)
#   make distclean  clean, and remove .venv too

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip --disable-pip-version-check
PIP_INSTALL := $(PIP) install --quiet --progress-bar off

LAB_ARGS ?=
PYTEST_ARGS ?=
# pytest-xdist workers: one more than the cores, or 0 for none. Each worker spends part of its
# time waiting on what its tests started (kernels, nbgrader, pip, the browser): with one worker
# per core a run took 24.5 min, with one more 18.2 min in the same conditions, and vmstat then
# shows the cores busy from the first test to the last (two more was no faster). With
# --dist loadgroup the tests of one xdist_group run on one worker, so an expensive shared fixture
# is built once; they start in the order conftest.py gives them (the longest first), which
# --no-loadscope-reorder keeps.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
XDIST := -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder
BENCH_ARGS ?=
# Every folder of source/ that holds an assignment's script (source/<a>/<a>.py), unless told otherwise.
ASSIGNMENTS ?= $(patsubst source/%/,%,$(sort $(dir $(wildcard source/*/*.py))))

# torch comes only from the CPU wheel kept on the machine, never from the registry
# (the registry's build pulls several GB of CUDA).
TORCH_VERSION ?= 2.13.0
TORCH_WHEELS ?= /opt/wheels

# Commands run with the venv first on PATH, so subprocesses (jupyter, nbgrader) are the venv's,
# and with the venv's Jupyter data (kernelspecs) ahead of the user's.
RUN := PATH="$(abspath $(BIN)):$$PATH" JUPYTER_PREFER_ENV_PATH=1
# JupyterLab refuses to start as root without --allow-root (CI and this machine run as root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.DEFAULT_GOAL := help
.PHONY: help lab test test-quick lint bench release autograde clean distclean kernel torch

help:
	@sed -n 's/^#   /  /p' Makefile

# --- the environment -------------------------------------------------------------------

# A new venv's pip is the one bundled with its Python (23.2 with Python 3.11): it takes three
# times the CPU of pip 25 or 26 to resolve the course's 120-odd packages (20 s against 7 s,
# mostly matching every file of every index page against the platform's wheel tags), so the
# venv gets a newer one first. Where that cannot be had (no index), the bundled one does the job.
PIP_UPGRADE := 'pip>=25,<27'

$(PY):
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	$(PYTHON) -m venv $(VENV)
	@$(PIP_INSTALL) $(PIP_UPGRADE) || echo "note: kept $$($(PIP) --version | cut -d' ' -f1-2): $(PIP_UPGRADE) could not be installed"

$(VENV)/.stamp-lab: pyproject.toml | $(PY)
	@echo "Installing the course (-e .) into $(VENV) (a minute or two the first time)"
	$(PIP_INSTALL) -e .
	@touch $@

# The tests grade on a real Dask cluster too, so they need the cluster extra.
$(VENV)/.stamp-test: pyproject.toml | $(PY)
	@echo "Installing the course and its test tools (-e .[test,cluster]) into $(VENV) (a minute or two the first time)"
	$(PIP_INSTALL) -e '.[test,cluster]'
	@touch $@

$(VENV)/.stamp-bench: pyproject.toml | $(PY)
	@echo "Installing the course, test tools and peers (-e .[test,cluster,bench]) into $(VENV) (a minute or two the first time)"
	$(PIP_INSTALL) -e '.[test,cluster,bench]'
	@touch $@

# Only `make autograde CLUSTER=...` (or SCHEDULER_FILE=...) needs Dask's distributed.
$(VENV)/.stamp-cluster: pyproject.toml | $(PY)
	@echo "Installing the course and Dask's distributed (-e .[cluster]) into $(VENV)"
	$(PIP_INSTALL) -e '.[cluster]'
	@touch $@

# The notebooks name the kernel "python3": make sure it starts this venv's Python (so that
# `import course` works). The venv's kernelspecs come first (JUPYTER_PREFER_ENV_PATH, in RUN);
# if ours is missing or points elsewhere, install it into the venv again, then check once more.
KERNEL_CHECK := $(PY) -c 'import sys; from jupyter_client.manager import KernelManager; \
	argv = KernelManager(kernel_name="python3").format_kernel_cmd(); \
	sys.exit(0 if argv[0] == sys.executable else "the python3 kernel starts " + argv[0] + ", not " + sys.executable)'

kernel: $(VENV)/.stamp-lab
	@$(RUN) $(KERNEL_CHECK) 2>/dev/null || { \
	  echo "Installing the python3 kernelspec into $(VENV)"; \
	  $(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" \
	  && $(RUN) $(KERNEL_CHECK); }

# torch only from the local wheel: the wheel alone, with --no-index and --no-deps, then its
# small pure-Python requirements (sympy, networkx, ...) by name. If there is no wheel, say so
# and go on without torch.
torch: $(VENV)/.stamp-bench
	@if $(PY) -c 'import importlib.metadata as m, sys; sys.exit(m.version("torch").split("+")[0] != "$(TORCH_VERSION)")' 2>/dev/null; then \
	  echo "torch $(TORCH_VERSION) is installed"; \
	elif $(PIP_INSTALL) --no-index --no-deps --find-links $(TORCH_WHEELS) 'torch==$(TORCH_VERSION)'; then \
	  $(PY) -c 'import importlib.metadata as m; print("\n".join(r for r in m.requires("torch") if "extra ==" not in r))' \
	    | $(PIP_INSTALL) -r /dev/stdin; \
	else \
	  echo "note: no local torch $(TORCH_VERSION) wheel in $(TORCH_WHEELS); benchmarks run without torch"; \
	fi

# --- the verbs -------------------------------------------------------------------------

lab: $(VENV)/.stamp-lab kernel
	$(RUN) $(PY) -m autograder.sources
	$(RUN) $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) $(LAB_ARGS)

# --durations: the slowest tests of every run, to see where the time goes.
# Every kernel, nbgrader command and grading worker the suite starts imports the repository's
# course/ or autograder/: Python must cache their bytecode even where the environment sets
# PYTHONDONTWRITEBYTECODE (this machine's image does), or each process compiles those modules
# again (about 0.2 s of CPU per kernel). An empty value switches it off.
PYTEST := $(RUN) PYTHONDONTWRITEBYTECODE= $(PY) -m pytest $(XDIST)
test: $(VENV)/.stamp-test
	$(PYTEST) --durations=20 $(PYTEST_ARGS)

test-quick: $(VENV)/.stamp-test
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.stamp-test
	$(RUN) $(PY) -m ruff check .

bench: $(VENV)/.stamp-bench torch
	$(RUN) $(PY) -m benchmarks $(BENCH_ARGS)

# The notebooks are built from their jupytext scripts first (autograder/sources.py). Each
# assignment gets a fresh, throw-away gradebook, so release/ depends on source/ alone (and is
# byte-identical from one run to the next). The TA's gradebook.db is not touched.
release: $(VENV)/.stamp-lab
	@if [ -z "$(strip $(ASSIGNMENTS))" ]; then echo "source/ has no assignment folders with scripts: nothing to release"; fi
	$(RUN) $(PY) -m autograder.sources $(ASSIGNMENTS)
	@set -e; for a in $(ASSIGNMENTS); do \
	  db=$$(mktemp -d); \
	  echo "== release/$$a"; \
	  $(RUN) $(BIN)/nbgrader generate_assignment "$$a" --force \
	    --CourseDirectory.db_url="sqlite:///$$db/gradebook.db" \
	    || { rm -rf "$$db"; exit 1; }; \
	  rm -rf "$$db"; \
	done

# The TA's autograder (autograder/README.md). ASSIGNMENTS is passed on only when given on the
# command line or in the environment (its default above lists every assignment, for release).
# OUT defaults to graded/ (graded/demo/ for the demo class).
SUBMISSIONS ?=
OUT ?=
JOBS ?=
ROSTER ?=
CLUSTER ?=
SCHEDULER_FILE ?=
AUTOGRADE_ARGS ?=
autograde: $(VENV)/.stamp-lab kernel $(if $(strip $(CLUSTER)$(SCHEDULER_FILE)),$(VENV)/.stamp-cluster)
	$(RUN) $(PY) -m autograder grade $(if $(strip $(SUBMISSIONS)),"$(SUBMISSIONS)") \
	  $(if $(strip $(OUT)),--out "$(OUT)") \
	  $(if $(strip $(CLUSTER)),--cluster "$(CLUSTER)") \
	  $(if $(strip $(SCHEDULER_FILE)),--scheduler-file "$(SCHEDULER_FILE)") \
	  $(if $(filter command line environment,$(origin ASSIGNMENTS)),--assignments $(ASSIGNMENTS)) \
	  $(if $(strip $(JOBS)),--jobs $(JOBS)) $(if $(strip $(ROSTER)),--roster "$(ROSTER)") \
	  $(AUTOGRADE_ARGS)

# The student pack (autograder/student_pack.py): the released notebooks, the playground, the
# course as a wheel, and a student README/Makefile/environment.yml (templates in student/).
RELEASE ?= release
.PHONY: student-pack release-exchange
student-pack: $(VENV)/.stamp-lab
	$(RUN) $(PY) -m autograder.student_pack --release "$(RELEASE)" --out dist

# nbgrader's exchange, for JupyterHub courses (autograder/exchange.py): EXCHANGE is the exchange
# folder (nbgrader's Exchange.root). ASSIGNMENTS is passed on only when given (default: all).
EXCHANGE ?=
release-exchange: $(VENV)/.stamp-lab
	@test -n "$(strip $(EXCHANGE))" || { \
	  echo "Say where the exchange is: make release-exchange EXCHANGE=/srv/nbgrader/exchange" >&2; exit 1; }
	$(RUN) $(PY) -m autograder.exchange release --exchange "$(EXCHANGE)" \
	  $(if $(filter command line environment,$(origin ASSIGNMENTS)),$(ASSIGNMENTS))

clean:
	find . \( -path ./.venv -o -path ./.git \) -prune -o \
	  -type d \( -name __pycache__ -o -name .ipynb_checkpoints -o -name .pytest_cache -o -name .hypothesis \) \
	  -prune -exec rm -rf {} +
	rm -rf test-artifacts benchmarks/scratch build dist *.egg-info .nbgrader.log .coverage htmlcov

distclean: clean
	rm -rf $(VENV)
