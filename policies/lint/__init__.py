"""Files -> Report: linting sources, kustomize builds, inline directives,
`--as-admitted`, and `fix` (layout-preserving edits of the files)."""
