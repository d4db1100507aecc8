"""Text -> Kubernetes objects with positions: reading files and stdin, the go-yaml
reading of scalars, bounds on hostile YAML, layout-preserving edits. Knows nothing of
rules or Kubernetes semantics."""
