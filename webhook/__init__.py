"""The admission webhook: a thin Flask adapter over the engine (see `app.create_app`)."""
