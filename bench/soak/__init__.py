"""Faults under load (`python -m bench.soak`), one job a module: `records` (a request, a
connection), `generator` (the load that keeps them), `slow` (requests in flight at SIGTERM),
`certificates` (which one a server presents), `oracle` (what each answer should be, under
which policy), `policy_files` (the policies swapped in), `faults` (what is done to the server,
and when), `run` (settings and state), `session` (one soak, start to results), `judging` and
`figures` (verdicts, explanations, windows), `server_log`, `report`, and `__main__` (options).
"""
