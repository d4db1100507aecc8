"""evictguard: one rule engine behind three doors (the `lint`/`fix` command, the admission
webhook, the pre-commit hook). The subpackages are layers, each importing only those below
it: cli; lint, formatters, webhook; policy loading; engine; rules; the policy model; k8s;
yaml; patch; model and pointer (README: Architecture, checked by `.importlinter`)."""

__version__ = "0.1.0"
