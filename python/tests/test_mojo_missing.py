"""Without a Mojo toolchain the front end raises MojoNotFoundError naming
`pip install mojo==1.2.0` (runs everywhere: it hides the toolchain)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_missing_mojo_raises_not_found_with_install_hint(tmp_path):
    """Missing mojo raises not found with install hint."""
    code = (
        "import simdpar, simdpar.mojo as mj\n"
        "assert not mj.available()\n"
        "print(mj.status())\n"
        "try:\n    mj.run('def main():\\n    print(1)\\n')\n"
        "except mj.MojoNotFoundError as e:\n    print('NOTFOUND', e)\n"
        "try:\n    mj.twins.sum\n"
        "except mj.MojoNotFoundError as e:\n    print('TWINS', e)\n"
    )
    env = {**os.environ, "SIMDPAR_MOJO": str(tmp_path / "no-such-mojo")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "NOTFOUND" in r.stdout and "TWINS" in r.stdout
    assert "pip install mojo==1.2.0" in r.stdout
    assert r.stdout.startswith("Mojo unavailable")
