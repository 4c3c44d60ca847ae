"""The documentation site builds in strict mode (no warnings)."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent


def test_docs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="install the 'test' extra to build the docs")
    pytest.importorskip("mkdocstrings")
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    assert (tmp_path / "site" / "api" / "index.html").exists()
    assert shutil.disk_usage(tmp_path).free > 0
