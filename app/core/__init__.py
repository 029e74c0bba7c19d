"""The experimental API's core: its vocabulary, its typed results and its rules, as pure code.

Nothing here reads a database, calls Airflow or knows HTTP: the modules hold the contract of
docs/api.md as data and functions (stdlib and dataclasses only). The services apply it to requests;
each backend applies its plans with the means it has (app/db with prepared statements, app/airflow
through Airflow's REST API) and declares, as capabilities (``ports.Capability``), what it cannot do.

- ``states``: run and task-instance states, which are finished or failed, a run's derived state;
- ``results``: the typed values that cross the layers;
- ``messages``: every text the API answers with;
- ``lookups``: the order in which a lookup reports what is missing;
- ``trigger``, ``reports``, ``run_states``, ``deletion``: the planners of the contract's rules;
- ``ports``: the backend interface, one port per resource, and the capabilities.

It imports nothing of ``app`` but itself (tests/test_layers.py).
"""
