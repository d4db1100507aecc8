"""TLS material for the admission webhook: a CA and a serving certificate, and the caBundle
the API server verifies the webhook with."""
