"""pdb-blocks-at-replicas stays with lint."""

WEBHOOK_ONLY = (
    "compares a budget with the workloads it selects; admission sees one object (lint only)"
)
