"""The benchmarks, run from the project root as modules (`python -m bench.lint`,
`python -m bench.webhook_load`, `python -m bench.soak`; bench/README.md has the results):
a package so that they import each other by relative names, none of which is also the name
of a stdlib module, an installed package or a folder at the project root (`webhook/`).
"""
