"""The rules, in the order they are reported (`rules`, SARIF's rule list): the one list of
them. A rule's module declares all the rest (default mode, parameters with their defaults
and types), from which the default preset and the policy schema are derived; README
"Contributing: adding a rule" has the steps, tests/test_registry.py checks none is missed."""

from __future__ import annotations

from . import (
    emptydir_memory_unbounded,
    emptydir_size_limit_missing,
    ephemeral_storage_limit_missing,
    memory_critical_overcommit,
    memory_limit_missing,
    memory_limit_ratio,
    memory_limit_too_high,
    memory_pod_level_conflict,
    memory_quantity_invalid,
    memory_quantity_suspicious,
    memory_request_exceeds_limit,
    memory_request_missing,
    noexecute_seconds_too_high,
    noexecute_seconds_too_low,
    noexecute_unbounded,
    noexecute_wildcard,
    pdb_blocks_at_replicas,
    pdb_no_disruptions,
    pdb_overlap,
    toleration_control_plane,
    toleration_invalid,
    toleration_never_matches,
    toleration_node_pressure,
    toleration_node_unavailable,
    toleration_not_allowed,
    toleration_shadowed,
    toleration_wildcard,
    volume_mount_hides_image_files,
)
from .base import Rule

ALL_RULES: tuple[Rule, ...] = (
    memory_limit_missing.RULE,
    memory_request_missing.RULE,
    memory_request_exceeds_limit.RULE,
    memory_pod_level_conflict.RULE,
    memory_quantity_invalid.RULE,
    memory_quantity_suspicious.RULE,
    memory_limit_ratio.RULE,
    memory_critical_overcommit.RULE,
    memory_limit_too_high.RULE,
    toleration_invalid.RULE,
    toleration_never_matches.RULE,
    toleration_wildcard.RULE,
    toleration_not_allowed.RULE,
    toleration_node_pressure.RULE,
    toleration_node_unavailable.RULE,
    toleration_control_plane.RULE,
    noexecute_unbounded.RULE,
    noexecute_seconds_too_low.RULE,
    noexecute_seconds_too_high.RULE,
    noexecute_wildcard.RULE,
    toleration_shadowed.RULE,
    volume_mount_hides_image_files.RULE,
    pdb_no_disruptions.RULE,
    emptydir_size_limit_missing.RULE,
    emptydir_memory_unbounded.RULE,
    ephemeral_storage_limit_missing.RULE,
    pdb_blocks_at_replicas.RULE,
    pdb_overlap.RULE,
)
