"""Test-only: Python imports this at start-up when `tests/plugins` is on PYTHONPATH (the
tests put it there for the real server and CLI only). It registers `tests.crashing_rule`."""

import os

if os.environ.get("EVICTGUARD_TEST_CRASHING_RULE"):
    from tests.crashing_rule import install_globally

    install_globally()
