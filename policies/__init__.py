"""evictguard's rule engine: pure, offline, shared by the linter and the admission webhook."""

__version__ = "0.1.0"
