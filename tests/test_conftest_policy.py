"""The system-tool policy of conftest.py: skip on a developer's machine, fail under CI.

Uses the `system_tool` fixture (conftest's `require_system_tool`), as other tests should.
"""

import os
import stat

import pytest


@pytest.fixture
def fake_tool(tmp_path):
    """An executable file standing in for a system program."""
    tool = tmp_path / "fake-tool"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


def test_found_on_path(monkeypatch, fake_tool, system_tool):
    monkeypatch.setenv("PATH", str(fake_tool.parent), prepend=os.pathsep)
    assert system_tool("fake-tool") == str(fake_tool)


def test_found_at_given_path(fake_tool, system_tool):
    assert system_tool("fake", fake_tool) == str(fake_tool)


def test_missing_tool_skips_outside_ci(monkeypatch, tmp_path, system_tool):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool"):
        system_tool("no-such-tool-4c1d")
    with pytest.raises(pytest.skip.Exception, match="no-such-tool"):
        system_tool("no-such-tool", tmp_path / "absent")


@pytest.mark.parametrize("value", ["false", "0", ""])
def test_ci_not_true_still_skips(monkeypatch, value, system_tool):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception):
        system_tool("no-such-tool-4c1d")


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_missing_tool_fails_under_ci(monkeypatch, tmp_path, value, system_tool):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="Under CI a missing system package"):
        system_tool("no-such-tool-4c1d")
    with pytest.raises(pytest.fail.Exception, match="absent"):
        system_tool("no-such-tool", tmp_path / "absent")


def test_a_file_that_is_not_executable_counts_as_missing(monkeypatch, tmp_path, system_tool):
    monkeypatch.delenv("CI", raising=False)
    plain = tmp_path / "not-executable"
    plain.write_text("")
    with pytest.raises(pytest.skip.Exception):
        system_tool("not-executable", plain)
