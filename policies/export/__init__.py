"""Native admission: the policy exported as Kubernetes ValidatingAdmissionPolicies (and
MutatingAdmissionPolicies), CEL the API server evaluates in process."""
