"""volume-mount-hides-image-files stays with the webhook."""

WEBHOOK_ONLY = (
    "the mountPath is compared as the kubelet cleans it (path.Clean), and the API server "
    "accepts `..` in it: which element a `..` removes depends on the counts over every "
    "prefix of the path (no RE2 pattern states it: balanced nesting is not regular), and "
    "Kubernetes CEL (1.30) has neither a fold nor an index range to walk the elements in "
    "order, so `/a/b/../../etc` at /etc cannot be told exactly"
)
