"""Every benchmark script runs in its quick mode, so none can rot."""

import pytest

from tests import scenarios as S

SCRIPTS = sorted((S.ROOT / "benchmarks").glob("*.py"))


def test_there_are_benchmarks():
    assert SCRIPTS


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_quick_mode_runs(script, tmp_path):
    result = S.python(script, "--quick", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "|" in result.stdout  # a table was printed
