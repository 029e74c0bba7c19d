"""The contract's rules, written once for every backend: one module per resource.

A service validates what the router parsed, calls the backend interface (``backend.py``), turns
what it finds into docs/api.md's answers or domain errors (``app/errors.py``) and returns typed results
(``results.py``). It knows nothing of HTTP and nothing of SQL.
"""
