"""toleration-shadowed stays with the webhook and lint."""

WEBHOOK_ONLY = (
    "first-match shadowing asks, for every pair of tolerations, whether some taint the later "
    "one matches always meets the earlier one first (with Lt/Gt, over every number): a "
    "search CEL has no bounded way to state"
)
