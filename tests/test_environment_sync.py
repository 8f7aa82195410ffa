"""environment.yml (conda) must list the same packages, with the same version ranges, as
pyproject.toml: the runtime dependencies and the `test` and `cluster` extras, in both directions."""

import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]

# Entries of environment.yml that pyproject does not list as packages.
CONDA_ONLY = {"python", "pip"}
# The pyproject extras that environment.yml mirrors.
MIRRORED_EXTRAS = ("test", "cluster")


def pyproject_requirements(pyproject: Path) -> dict[str, SpecifierSet]:
    """Runtime and mirrored-extra requirements of pyproject.toml: {normalised name: specifiers}."""
    project = tomllib.loads(pyproject.read_text())["project"]
    lines = list(project.get("dependencies", []))
    for extra in MIRRORED_EXTRAS:
        lines += project.get("optional-dependencies", {}).get(extra, [])
    found = {}
    for line in lines:
        req = Requirement(line)
        found[canonicalize_name(req.name)] = req.specifier
    return found


def environment_entries(environment: Path) -> tuple[dict[str, str], list[str]]:
    """The package entries of environment.yml (conda ones and pip ones together) as
    {normalised name: entry}, and the pip-section options (`-e .` and the like)."""
    spec = yaml.safe_load(environment.read_text())
    entries, pip_options = {}, []
    for item in spec.get("dependencies", []):
        if isinstance(item, dict):
            for pip_item in item.get("pip", []):
                if pip_item.strip().startswith("-"):
                    pip_options.append(" ".join(pip_item.split()))
                else:
                    entries[_entry_name(pip_item)] = pip_item
        else:
            entries[_entry_name(item)] = item
    return entries, pip_options


def _entry_name(entry: str) -> str:
    name = entry.strip()
    for stop in "<>=!~ [;":
        name = name.split(stop, 1)[0]
    return canonicalize_name(name)


def find_drift(pyproject: Path, environment: Path) -> list[str]:
    """Every difference between the two files, in words; empty when they agree."""
    wanted = pyproject_requirements(pyproject)
    entries, pip_options = environment_entries(environment)
    problems = []
    for name, specifier in sorted(wanted.items()):
        if name not in entries:
            problems.append(f"{name}{specifier} is in pyproject.toml but not in environment.yml")
            continue
        try:
            got = Requirement(entries[name]).specifier
        except InvalidRequirement:
            problems.append(
                f"environment.yml entry {entries[name]!r} is not a PEP 440 requirement; "
                f"write it as in pyproject: {name}{specifier}"
            )
            continue
        if got != specifier:
            problems.append(
                f"{name}: pyproject.toml says {str(specifier) or '(any)'!r}, "
                f"environment.yml says {str(got) or '(any)'!r}"
            )
    for name in sorted(set(entries) - set(wanted) - CONDA_ONLY):
        problems.append(f"{entries[name]!r} is in environment.yml but not in pyproject.toml")
    if "-e ." not in pip_options:
        problems.append("environment.yml does not pip-install the course itself ('-e .')")

    requires_python = tomllib.loads(pyproject.read_text())["project"].get("requires-python")
    python = entries.get("python", "")
    conda_version = python.partition("=")[2].lstrip("=").strip()
    if not conda_version:
        problems.append("environment.yml does not pin python (e.g. python=3.11)")
    elif requires_python and Version(conda_version) not in SpecifierSet(requires_python):
        problems.append(
            f"environment.yml's python={conda_version} is outside requires-python {requires_python}"
        )
    return problems


def test_environment_yml_matches_pyproject():
    problems = find_drift(REPO / "pyproject.toml", REPO / "environment.yml")
    assert not problems, "environment.yml has drifted from pyproject.toml:\n  " + "\n  ".join(
        problems
    )


def test_drift_is_detected(tmp_path):
    """The check above is only worth something if it fails on a drifted copy."""
    environment = (REPO / "environment.yml").read_text()
    pyproject = REPO / "pyproject.toml"
    numpy_line = next(
        line for line in environment.splitlines() if line.strip().startswith("- numpy")
    )
    pytest_line = next(
        line for line in environment.splitlines() if line.strip().startswith("- pytest")
    )
    drifted = (
        environment.replace(numpy_line, numpy_line.replace("numpy", "NumPy") + ",!=2.0.0")
        .replace(pytest_line + "\n", "")
        .replace("python=3.11", "python=3.9")
        .replace("- -e .", "- -e ./elsewhere")
        + "  - scipy>=1.11\n"
    )
    (tmp_path / "environment.yml").write_text(drifted)
    problems = "\n".join(find_drift(pyproject, tmp_path / "environment.yml"))

    assert "numpy: pyproject.toml says" in problems  # changed range (name case ignored)
    assert "pytest" in problems and "not in environment.yml" in problems  # missing test dep
    assert "scipy" in problems and "not in pyproject.toml" in problems  # extra package
    assert "python=3.9" in problems  # outside requires-python
    assert "'-e .'" in problems  # course not installed


def test_names_are_normalised(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\nrequires-python = ">=3.10"\n'
        'dependencies = ["Typing_Extensions>=4"]\n'
        '[project.optional-dependencies]\ntest = ["pytest-xdist<4,>=3"]\n'
    )
    environment = tmp_path / "environment.yml"
    environment.write_text(
        "dependencies:\n  - python=3.11\n  - typing-extensions >=4\n"
        "  - pip:\n      - pytest_xdist>=3,<4\n      - -e .\n"
    )
    assert find_drift(pyproject, environment) == []


@pytest.mark.parametrize("entry", ["numpy=1.26", "numpy 1.26.*"])
def test_conda_only_syntax_is_reported(tmp_path, entry):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["numpy>=1.26"]\n')
    environment = tmp_path / "environment.yml"
    environment.write_text(
        f"dependencies:\n  - python=3.11\n  - {entry}\n  - pip:\n      - -e .\n"
    )
    (problem,) = find_drift(pyproject, environment)
    assert "numpy" in problem
