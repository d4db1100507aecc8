"""memory-request-missing is not exported: CEL cannot state it exactly."""

WEBHOOK_ONLY = (
    "needs the pod's aggregate memory request (component-helpers AggregateContainerRequests:"
    " a sum over any number of containers, compared with a run-to-completion init"
    " container's sidecars): Kubernetes CEL has no fold over quantities, and its list sum()"
    " takes int, uint, double or duration only, where exact 1m-precise sums overflow int64"
    " (an error, which failurePolicy Fail turns into a denial) and doubles round"
)
