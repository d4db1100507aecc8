"""toleration-invalid stays with lint (and the webhook, where it never fires either)."""

WEBHOOK_ONLY = (
    "nothing reaches admission for it to report: the API server refuses every toleration it "
    "faults before any admission policy or webhook runs (decoding; ValidateTolerations on "
    "spec.tolerations; ValidateTolerationsInPodAnnotations on the deprecated "
    "scheduler.alpha.kubernetes.io/tolerations annotation, whose JSON CEL could not parse "
    "anyway, on Pods and pod templates), so an exported policy would only ever find nothing; "
    "the rule earns its keep in lint and pre-commit, before the API server"
)
