"""The benchmarks behind `make bench` run, and their cross-checks hold (no timing is asserted).

Each benchmark runs with tiny sizes and a single round. Peers that are not installed (`make test`
installs none of them) are simply absent from the run, as they are from the table.
"""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not installed
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import gradcheck_speed, mlp, report, scalar_chain, timing  # noqa: E402
from benchmarks import sandbox as sandbox_benchmark  # noqa: E402
from benchmarks.__main__ import parse_args, run_sandbox  # noqa: E402

TINY = {"batch": 4, "layers": (5, 7, 6, 3)}


def test_compare_gives_a_best_time_per_contender():
    calls = {"a": 0, "b": 0}

    def a():
        calls["a"] += 1

    def b():
        calls["b"] += 1
        return [0] * 10

    best = timing.compare({"a": a, "b": b}, repeat=2, min_sample=0.0, keep_results=True)
    assert set(best) == {"a", "b"}
    assert all(0 <= t < 1 for t in best.values())
    assert calls["a"] >= 3 and calls["b"] >= 3  # calibration, then one sample per round


def test_with_gc_turns_the_collector_on_only_inside():
    import gc

    seen = []
    fn = timing.with_gc(lambda: seen.append(gc.isenabled()))
    timing.time_calls(fn, 2)
    assert seen == [True, True]
    assert gc.isenabled()


@pytest.mark.parametrize("seconds, text", [(812e-9, "812 ns"), (41.25e-6, "41.2 µs"),
                                           (0.012, "12.0 ms"), (1.254, "1.25 s")])
def test_format_seconds(seconds, text):
    assert timing.format_seconds(seconds) == text


def test_mlp_runs_and_every_engine_matches_numpy():
    result = mlp.run("tiny", repeat=1, min_sample=0.0, threads=None, spec=TINY)
    assert result["times"]["numpy"] > 0 and result["times"]["course"] > 0
    for engine in mlp.ENGINES:
        assert (result["times"][engine] is None) == (not mlp.available(engine))
        if mlp.available(engine):
            assert result["check"][engine] <= mlp.RTOL


@pytest.mark.parametrize("size", sorted(mlp.SIZES))
def test_mlp_first_step_agrees_at_the_benchmarked_sizes(size):
    spec = mlp.SIZES[size]
    params, X, y = mlp.make_problem(spec["batch"], spec["layers"])
    steps = {e: (mlp.make_torch(params, X, y, threads=None) if e == "torch"
                 else mlp.MAKERS[e](params, X, y)) for e in mlp.ENGINES if mlp.available(e)}
    worst = mlp.check_first_step(steps)
    assert set(worst) == set(steps)


def test_mlp_check_catches_a_different_computation():
    params, X, y = mlp.make_problem(TINY["batch"], TINY["layers"])
    good = mlp.make_numpy(params, X, y)
    bad = mlp.make_numpy(params, X, y, lr=2 * mlp.LR)  # same gradients, different update
    with pytest.raises(AssertionError, match="updated parameter"):
        mlp.check_first_step({"numpy": good, "course": bad})


def test_scalar_chain_runs_and_matches_the_closed_form():
    # 2 x 2,000 nodes: deeper than Python's default recursion limit, which micrograd needs raised
    limit = sys.getrecursionlimit()
    result = scalar_chain.run(repeat=1, n=2_000)
    assert sys.getrecursionlimit() == limit
    for engine in scalar_chain.ENGINES:
        installed = scalar_chain.available(engine)
        for mode in ("gc on", "gc off"):
            assert (result["times"][mode][engine] is None) == (not installed)
        if installed:
            assert result["check"][engine] < 1e-8
    assert result["times"]["gc off"]["course"] > 0


def test_scalar_chain_check_catches_a_wrong_gradient():
    chain = scalar_chain.make_chain("course", n=10)
    x, x0, a, b = chain()
    b.grad *= 1.001
    with pytest.raises(AssertionError, match="dx/db"):
        scalar_chain.check({"course": (x, x0, a, b)}, n=10)


def test_gradcheck_speed_runs_or_says_why_not():
    result = gradcheck_speed.run(repeat=1, size=32)
    assert result["matmul"] > 0
    if gradcheck_speed.load_check_vjp()[0] is None:
        assert result["time"] is None and "not importable" in result["skipped"]
    else:
        assert result["time"] > 0 and result["skipped"] is None


def _tiny_results():
    return {
        "scalar": scalar_chain.run(repeat=1, n=50),
        "gradcheck": gradcheck_speed.run(repeat=1, size=16),
        "mlp": [mlp.run("small", repeat=1, min_sample=0.0, threads=None, spec=TINY)],
    }


def test_report_renders_a_table_and_replaces_only_its_section(tmp_path):
    results = _tiny_results()
    info = report.machine(1)
    section = report.markdown(results, info, "test run")
    assert "| benchmark | engine | time | ratio | target | result |" in section
    assert "course.Tensor" in section and "course.Value" in section
    assert info["CPU"] in section and info["Python"] in section
    table, verdicts = report.rows(results)
    assert len({len(row) for row in table}) == 1
    assert any(name.startswith("MLP step") for name, _ in verdicts)

    readme = tmp_path / "README.md"
    readme.write_text(f"# intro\n\n{report.START}\nold\n{report.END}\n\n## after\n")
    report.write_readme(section, readme)
    report.write_readme(section, readme)  # idempotent
    text = readme.read_text()
    assert text.startswith("# intro\n") and text.endswith("## after\n")
    assert "old" not in text and text.count(report.START) == 1 and section.strip() in text


def test_report_says_not_installed_and_skipped():
    results = {
        "mlp": [{"size": "small", "batch": 2, "layers": (2, 2), "installed": {},
                 "times": {"numpy": 1e-5, "course": 2e-5, "autograd": None, "torch": None},
                 "check": {"numpy": 0.0, "course": 0.0}}],
        "scalar": {"n": 10, "check": {"course": 0.0}, "installed": {},
                   "times": {m: {"micrograd": None, "course": 1e-3} for m in ("gc on", "gc off")}},
        "gradcheck": {"size": 8, "time": None, "matmul": 1e-6,
                      "skipped": "course.gradcheck.check_vjp is not importable (test)"},
    }
    table, verdicts = report.rows(results)
    cells = [cell for row in table for cell in row]
    assert cells.count("not installed") == 4  # autograd, torch, micrograd twice
    assert "skipped" in cells
    assert [name for name, _ in verdicts] == ["MLP step, batch 2, 2-2: course"]


def _sandbox_result(missing=None):
    times = {"kernel start + 1 cell": {"plain": 0.5, "limits only": 0.6, "sandboxed": 0.7},
             "notebook 02-modular-backprop": {"plain": 1.5, "limits only": 1.6,
                                              "sandboxed": 1.65}}
    if missing:
        for contenders in times.values():
            del contenders["sandboxed"]
    return {"repeat": 2, "assignment": "02-modular-backprop", "times": times,
            "missing": missing}


def test_report_renders_the_sandbox_cost_without_a_verdict():
    results = {"sandbox": _sandbox_result()}
    section = report.markdown(results, report.machine(1), "test run")
    assert "What the sandbox costs per notebook" in section and "best of 2 rounds" in section
    assert sandbox_benchmark.table(results["sandbox"]["times"], None) in section
    assert "| kernel start + 1 cell | 500 ms | 600 ms | 700 ms | +200 ms (+40%) |" in section
    assert report.rows(results) == ([], [])  # a measured cost, not a target


def test_report_says_why_the_sandbox_was_not_measured():
    section = report.markdown({"sandbox": _sandbox_result("bwrap not found")},
                              report.machine(1), "test run")
    assert "sandboxed: not measured (bwrap not found)" in section
    assert "| notebook 02-modular-backprop | 1.50 s | 1.60 s | n/a | n/a |" in section


def test_run_sandbox_keeps_what_the_benchmark_measured(monkeypatch):
    fake = _sandbox_result()
    calls = []

    def run(repeat):
        calls.append(repeat)
        return fake["times"], None

    monkeypatch.setattr(sandbox_benchmark, "run", run)
    assert run_sandbox(3, log=lambda message: None) == {**fake, "repeat": 3}
    assert calls == [3]


def test_command_line_defaults():
    full, quick = parse_args([]), parse_args(["--quick"])
    assert full.readme and full.threads == 1 and full.repeat > quick.repeat
    assert not quick.readme
    assert parse_args(["--quick", "--readme"]).readme
    assert full.sandbox and full.grading
    assert not parse_args(["--no-sandbox"]).sandbox


def test_report_renders_the_cluster_row_as_a_measured_cost():
    results = {"cluster": {"notebooks": 4, "workers": 2, "local": 40.0, "cluster": 50.0,
                           "start": 6.0, "ratio": 1.25, "overhead": 2.5}}
    table, verdicts = report.rows(results)
    cells = [" | ".join(map(str, row)) for row in table]
    assert any("local pool, 2 workers (baseline)" in c for c in cells)
    assert any("Dask scheduler + 2 workers" in c and "1.25x" in c and "+2.50 s per notebook" in c
               for c in cells), cells
    assert not verdicts
    assert "overhead +2.50 s per notebook" in " ".join(report.checks_line(results))
    assert parse_args([]).cluster and not parse_args(["--no-cluster"]).cluster
