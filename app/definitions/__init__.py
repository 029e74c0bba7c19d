"""The DAG-definition compiler (docs/dag-definitions.md): definition text in, an immutable
``DagSpec`` out, or a ``DagDefinitionError`` listing every problem with its path.

Pure code (pydantic, PyYAML; no web framework, database or HTTP client: tests/test_layers.py),
shared by every way a definition arrives: PUT, ``dagport dags load``, ``DAGPORT_DAGS_FOLDER``.

- ``compiler.py``: ``parse_definition``, the one entry point: decode, check the limits, validate.
- ``decoding.py``: JSON or YAML text into plain data, ``DefinitionLimits`` and what JSON cannot hold.
- ``document.py``: the format as strict Pydantic models.
- ``graph.py``: the task graph: duplicates, unknown upstreams, cycles, priority weights.
- ``spec.py``: validation into ``DagSpec`` / ``TaskSpec``, every message worded in one place.
"""
