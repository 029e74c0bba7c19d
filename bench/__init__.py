"""dagport's benchmark harness: ``python -m bench --help`` (bench/README.md)."""
