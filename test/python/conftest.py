"""pytest setup for test/python: tests that run generated code (snippets expanded by
scripts/snippets/expand-all.mjs) in the system Python's real frameworks.

    node scripts/snippets/expand-all.mjs /tmp/expanded.json
    DLKIT_EXPANDED_SNIPPETS=/tmp/expanded.json /usr/bin/python3 -m pytest test/python -q
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # `import harness` from any test module

from harness.snippets import ENV_VAR  # noqa: E402  (needs the path above)


def pytest_report_header(config):
    return f"{ENV_VAR}: {os.environ.get(ENV_VAR) or '(not set)'}"
