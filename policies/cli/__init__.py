"""The `evictguard` command line: a thin adapter over lint, the engine and the
formatters."""
