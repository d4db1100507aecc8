"""pdb-overlap stays with lint."""

WEBHOOK_ONLY = "compares budgets with each other; admission sees one object (lint only)"
