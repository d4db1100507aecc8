"""The stack's floor: a bare Flask app that parses the review and allows it, served exactly as
`evictguard serve` serves the real app (same gunicorn config file, worker class, TLS, workers
and threads), so the gap between the two is what evictguard itself costs.

    python -m gunicorn --config <webhook/gunicorn.conf.py> bench.echo_app:app
    (with the EVICTGUARD_* environment `command()` prepares, as webhook/serve.py does)
"""

from __future__ import annotations

import os
import sys
from typing import Any

from flask import Flask, request

app = Flask("evictguard-echo")


def answer() -> dict[str, Any]:
    """Allow, echoing the uid: the least any admission webhook must do."""
    review = request.get_json()
    return {
        "apiVersion": review["apiVersion"],
        "kind": "AdmissionReview",
        "response": {"uid": review["request"]["uid"], "allowed": True},
    }


app.add_url_rule("/validate", "validate", answer, methods=["POST"])
app.add_url_rule("/mutate", "mutate", answer, methods=["POST"])


def command(
    bind: str, cert_dir: str, workers: int, threads: int, max_body: int = 4 * 1024 * 1024
) -> tuple[list[str], dict[str, str]]:
    """argv and environment for gunicorn, as webhook/serve.py's `run` builds them, with this
    module as the WSGI app (a positional app overrides the config file's `wsgi_app`)."""
    from importlib import resources

    env = dict(os.environ)
    env.update(
        EVICTGUARD_BIND=bind,
        EVICTGUARD_CERT_DIR=os.path.abspath(cert_dir),
        EVICTGUARD_WORKERS=str(workers),
        EVICTGUARD_THREADS=str(threads),
        EVICTGUARD_MAX_BODY=str(max_body),
        EVICTGUARD_POLICY="",
    )
    config = str(resources.files("evictguard.webhook").joinpath("gunicorn.conf.py"))
    # gunicorn.conf.py takes the working folder off sys.path (a folder named like a
    # dependency must not shadow it), so the project root, where `bench` is, is named.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    argv = [sys.executable, "-m", "gunicorn", "--config", config, "--pythonpath", root]
    argv.append("bench.echo_app:app")
    return argv, env
