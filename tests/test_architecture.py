"""The house rules that code can check: the import contracts of pyproject.toml (layers that only point down, a core
that knows nothing of the stores or the UI, no import cycles, type-only imports included), mypy in strict mode over
batchmail, storage and ui, and no file past 400 lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 400
CHECKED = ("batchmail", "storage", "ui", "tests", "bench")


def test_the_import_contracts_are_kept() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None, "import-linter is part of the test extra"
    done = subprocess.run(
        [lint_imports, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_code_type_checks_strictly() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_file_is_longer_than_the_house_allows() -> None:
    files = [REPO / "app.py", *(path for folder in CHECKED for path in (REPO / folder).rglob("*.py"))]
    too_long = {
        str(path.relative_to(REPO)): count
        for path in files
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
