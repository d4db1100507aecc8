"""The one evaluation every door shares: the rule registry, `check_object` (modes,
exemptions, time budget, per-rule fault isolation) and the fixes an object's findings
offer."""
