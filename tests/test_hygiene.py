"""The session-end hygiene check (tests/hygiene.py) fails a run that leaves a file in /tmp, and
gives every test a session folder (TMPDIR, GIS_DATA_DIR) that is gone afterwards."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import shared_tmp

ROOT = Path(__file__).resolve().parent.parent
CONFTEST = """
from tests import hygiene


def pytest_configure(config):
    hygiene.begin()


def pytest_sessionfinish(session):
    hygiene.finish(session)
"""
TESTS = '''
import os
import tempfile


def test_session_folder(tmp_path):
    root = tempfile.gettempdir()
    assert root.startswith("/tmp/hromada-tests-") and os.environ["TMPDIR"] == root
    assert str(tmp_path).startswith(root) and os.environ["GIS_DATA_DIR"].startswith(root)
    print("SESSION", root)


def test_leak():
    print("LEAK", tempfile.mkdtemp(prefix="hromada-leak-", dir="/tmp"))
'''


def test_a_file_left_in_tmp_fails_the_run() -> None:
    work = shared_tmp("hromada-hygiene-")
    leaks: list[str] = []
    try:
        (work / "conftest.py").write_text(CONFTEST)
        (work / "test_inner.py").write_text(TESTS)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
             "-o", "addopts=", str(work)], cwd=work, capture_output=True, text=True,
            timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT),
                              "HROMADA_TEST_HYGIENE": "strict"})
        out = result.stdout + result.stderr
        leaks = re.findall(r"LEAK (\S+)", out)
        session = re.findall(r"SESSION (\S+)", out)[0]
        assert "2 passed" in out, out
        assert result.returncode == 1, out  # the tests passed; the leak failed the run
        assert f"left these behind (tests must write only inside their temporary folders): " \
               f"{leaks[0]}" in out
        assert not Path(session).exists()  # the session folder is removed
    finally:
        for leak in leaks:
            shutil.rmtree(leak, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
