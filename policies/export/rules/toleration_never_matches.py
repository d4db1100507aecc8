"""toleration-never-matches stays with the webhook and lint."""

WEBHOOK_ONLY = (
    "a key that is not a known taint is faulted only when it is a likely misspelling of one "
    "(rules.suggest.suggest_taint_key: an edit distance, which CEL has no function for), and "
    "a finding for the deprecated scheduler.alpha.kubernetes.io/tolerations annotation needs "
    "its JSON decoded (Go's encoding/json, case-insensitive field names), which CEL cannot "
    "parse"
)
