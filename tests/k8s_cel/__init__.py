"""The Kubernetes API server's side of CEL admission policies, for offline parity tests.

``environment`` builds the CEL environment Kubernetes gives admission policies (with its
``kubernetes.quantity``, ``kubernetes.lists`` and ``kubernetes.regex`` libraries ported onto
cel-cpp through ``cel-expr-python``); ``vap`` evaluates ValidatingAdmissionPolicies and their
bindings on one admission request as the validating policy plugin does; ``mutating`` applies
MutatingAdmissionPolicies' JSONPatch mutations. Needs Python >= 3.11 (cel-expr-python).

``parse`` reads the CEL the exporter emits and ``cost`` (with ``sizes`` and ``budget``) bounds
the runtime cost the API server charges for it, as cel-go and Kubernetes' CEL library count
it; these need no CEL implementation.
"""
