"""nbgrader_config.py sets only options nbgrader 0.9.6 knows (it merely warns about unknown
ones) and puts the course root at the folder of the file."""

from pathlib import Path

import pytest
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearSolutions, Execute, OverwriteCells
from traitlets.config.loader import PyFileConfigLoader

CONFIGURABLES = {
    cls.__name__: cls for cls in (CourseDirectory, ClearSolutions, Execute, OverwriteCells)
}


@pytest.fixture(scope="module")
def config(repo_root):
    return PyFileConfigLoader("nbgrader_config.py", path=str(repo_root)).load_config()


def test_every_option_is_a_real_nbgrader_option(config):
    for section, options in config.items():
        assert section in CONFIGURABLES, f"unexpected section c.{section} in nbgrader_config.py"
        traits = CONFIGURABLES[section].class_traits(config=True)
        for option in options:
            assert option in traits, f"c.{section}.{option} is not an nbgrader 0.9.6 option"


def test_course_layout(config, repo_root):
    course = config.CourseDirectory
    assert Path(course.root) == repo_root and Path(course.root).is_absolute()
    assert (course.source_directory, course.release_directory) == ("source", "release")
    assert course.db_url == f"sqlite:///{repo_root / 'gradebook.db'}"


def test_grading_options(config):
    assert isinstance(config.ClearSolutions.code_stub, dict)
    assert "raise NotImplementedError" in config.ClearSolutions.code_stub["python"]
    assert config.OverwriteCells.add_missing_cells is True
    assert 0 < config.Execute.timeout <= 600
