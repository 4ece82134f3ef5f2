"""The engine is UI-free: importing it never loads Textual."""

from __future__ import annotations

import subprocess
import sys


def test_engine_does_not_import_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, davtui.engine as e\n"
        "for m in pkgutil.walk_packages(e.__path__, 'davtui.engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
