"""The run profile: full by default, fast from COURSE_PROFILE or under nbgrader's execution."""

import pytest

from course_utils import profile


def test_default_profile_is_full(clean_env):
    assert profile.get_profile() == "full"
    assert profile.pick(full=10, fast=1) == 10


def test_course_profile_fast_selects_fast(clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert profile.get_profile() == "fast"
    assert profile.pick(full=10, fast=1) == 1
    assert profile.is_fast()


def test_nbgrader_execution_implies_fast(clean_env, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert profile.get_profile() == "fast"
    assert "nbgrader" in profile.describe()


def test_course_profile_overrides_nbgrader(clean_env, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("COURSE_PROFILE", "FULL")
    assert profile.get_profile() == "full"


def test_unknown_profile_is_a_clear_error(clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    with pytest.raises(ValueError, match="COURSE_PROFILE must be one of"):
        profile.get_profile()
