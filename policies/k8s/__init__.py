"""Pure ports of Kubernetes semantics, each citing the source file and function it
restates: quantities, names, taints and tolerations, the pod-spec table of every kind,
memory settings, what the taint manager does, and (`admission/`) what the API server
does to a Pod on CREATE. Knows nothing of policies or rules."""
