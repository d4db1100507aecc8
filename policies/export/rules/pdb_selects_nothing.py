"""pdb-selects-nothing stays with lint."""

WEBHOOK_ONLY = (
    "compares a budget with the workloads of its namespace; admission sees one object (lint only)"
)
