"""Every benchmark script runs in its quick mode, so none can rot.

In this process (as `python SCRIPT --quick` would run it, warnings shown rather than raised,
as in a shell), which saves a backend start per script; one script also runs in a new
process, as a user runs them.
"""

import runpy
import sys
import warnings

import pytest

from tests import scenarios as S

SCRIPTS = sorted((S.ROOT / "benchmarks").glob("*.py"))


def test_there_are_benchmarks():
    assert SCRIPTS


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_quick_mode_runs(script, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "--quick"])
    monkeypatch.syspath_prepend(str(script.parent))  # as python does for a script: its folder
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # a script's warnings are printed, as in a shell
        try:
            runpy.run_path(str(script), run_name="__main__")
            status = 0
        except SystemExit as exit_:  # a script that ends with sys.exit(...)
            status = exit_.code or 0
    assert status == 0
    assert "|" in capsys.readouterr().out  # a table was printed


@pytest.mark.slow
def test_a_script_runs_in_a_new_process(tmp_path):
    result = S.python(S.ROOT / "benchmarks" / "startup.py", "--quick", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| `keras-lr --help` |" in result.stdout and "| no |" in result.stdout
