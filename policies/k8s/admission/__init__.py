"""What the API server does to a Pod on CREATE before anything stores it: decoding with
defaulting, then the admission plugins LimitRanger, DefaultTolerationSeconds and
PodTolerationRestriction, one module a step, each citing the Kubernetes source it ports.
Plain data in and out: errors are this package's own, for the lint layer to report."""
