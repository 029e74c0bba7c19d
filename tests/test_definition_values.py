"""A definition holds JSON values only, whatever the syntax it is written in, on both databases.

YAML can say more than JSON: binary data (``!!binary``), sets, keys that are not strings, NaN, a
NUL character in an escape (``"a\\0b"``). Such values used to pass validation and then fail in
orjson at insert (a 500 whose traceback carried the statement's parameters) or, for NUL, be
stored by SQLite and refused by Postgres. JSON nested thousands deep made the json module recurse
out of stack (a 500). Each is now a 400 naming the value's path, before anything is stored.
"""

from __future__ import annotations

import pytest

YAML = {"Content-Type": "application/yaml"}
NUL = "contains a NUL character (\\u0000), which cannot be stored"


def problems(response) -> list[dict]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == f"Invalid DAG definition: {len(body['detail'])} problem(s)"
    return body["detail"]


async def test_json_nested_5000_deep_is_400_not_a_recursion_error(client) -> None:
    text = '{"dag_id": "deep", "tasks": [{"task_id": "a"}], "description": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await client.put("/dags/deep", content=text)
    assert problems(response) == [{"loc": "", "msg": "The definition is nested more than 100 levels deep"}]
    assert (await client.get("/dags/deep")).status_code == 404


@pytest.mark.parametrize(
    ("params", "loc", "msg"),
    [
        (
            "{data: !!binary aGVsbG8=}",
            "tasks[0].params.data",
            "data is binary data (!!binary), which a definition cannot hold: use a string",
        ),
        (
            "{names: !!set {a, b}}",
            "tasks[0].params.names",
            "names is a set (!!set), which a definition cannot hold: use a list",
        ),
        ("{1: a}", "tasks[0].params", "params has a key that is not a string: 1"),
        ("{null: a}", "tasks[0].params", "params has a key that is not a string: None"),
        (
            "{nested: [{true: a}]}",
            "tasks[0].params.nested[0]",
            "nested[0] has a key that is not a string: True",
        ),
        ("{ratio: .nan}", "tasks[0].params.ratio", "ratio must be a finite number, got nan"),
        (
            "{when: !!timestamp 2021-01-01}",
            "tasks[0].params.when",
            "when is a date, which a definition cannot hold",
        ),
    ],
)
async def test_yaml_values_json_cannot_hold_are_400_naming_the_path(client, params, loc, msg) -> None:
    text = f"dag_id: yamlish\ntasks:\n  - task_id: a\n    params: {params}\n"
    response = await client.put("/dags/yamlish", content=text, headers=YAML)
    assert problems(response) == [{"loc": loc, "msg": msg}]
    assert (await client.get("/dags/yamlish")).status_code == 404


async def test_every_such_value_is_listed_also_in_default_args(client) -> None:
    text = (
        "dag_id: yamlish\n"
        "default_args: {params: {blob: !!binary aGVsbG8=}}\n"
        'tasks: [{task_id: a, arguments: {2: two}}, {task_id: b, doc_md: "x\\0y"}]\n'
    )
    response = await client.put("/dags/yamlish", content=text, headers=YAML)
    assert problems(response) == [
        {
            "loc": "default_args.params.blob",
            "msg": "blob is binary data (!!binary), which a definition cannot hold: use a string",
        },
        {"loc": "tasks[0].arguments", "msg": "arguments has a key that is not a string: 2"},
        {"loc": "tasks[1].doc_md", "msg": f"doc_md {NUL}"},
    ]


@pytest.mark.parametrize(
    ("text", "headers", "loc", "msg"),
    [
        ('dag_id: nul\ntasks: [{task_id: a, doc_md: "a\\0b"}]\n', YAML, "tasks[0].doc_md", f"doc_md {NUL}"),
        ('dag_id: nul\ntasks: [{task_id: a}]\ntags: [ok, "\\x00"]\n', YAML, "tags[1]", f"tags[1] {NUL}"),
        (
            'dag_id: nul\ntasks: [{task_id: a, params: {"k\\u0000": 1}}]\n',
            YAML,
            "tasks[0].params",
            f"params has a key that {NUL}: 'k\\x00'",
        ),
        (
            '{"dag_id": "nul", "description": "a\\u0000", "tasks": [{"task_id": "a"}]}',
            {},
            "description",
            f"description {NUL}",
        ),
        (
            '{"dag_id": "nul", "tasks": [{"task_id": "a", "arguments": {"cmd": ["ok", "\\u0000"]}}]}',
            {},
            "tasks[0].arguments.cmd[1]",
            f"cmd[1] {NUL}",
        ),
    ],
)
async def test_a_nul_in_any_string_is_400_naming_the_field(client, text, headers, loc, msg) -> None:
    response = await client.put("/dags/nul", content=text, headers=headers)
    assert problems(response) == [{"loc": loc, "msg": msg}]
    assert (await client.get("/dags/nul")).status_code == 404


async def test_the_text_backslash_zero_is_no_nul(client) -> None:
    text = "dag_id: text\ntasks: [{task_id: a, doc_md: 'a\\0b'}]\n"  # single quotes: no escapes
    response = await client.put("/dags/text", content=text, headers=YAML)
    assert response.status_code == 201, response.text
    assert (await client.get("/dags/text/tasks/a")).json()["doc_md"] == "a\\0b"


@pytest.mark.parametrize(
    ("value", "msg"),
    [
        ("!!int abc", "'abc' is not a valid !!int (line 3, column 30)"),
        ('!!float ""', "'' is not a valid !!float (line 3, column 30)"),
        ("!!bool maybe", "'maybe' is not a valid !!bool (line 3, column 30)"),
        ("!!timestamp 2021-13-45", "'2021-13-45' is not a valid !!timestamp (line 3, column 30)"),
        ("!!timestamp soon", "'soon' is not a valid !!timestamp (line 3, column 30)"),
        ("!!set [1]", "expected a mapping node, but found sequence (line 3, column 30)"),
    ],
)
async def test_a_scalar_its_explicit_tag_cannot_read_is_400(client, value, msg) -> None:
    """PyYAML's constructors raise ValueError, KeyError, IndexError, AttributeError or TypeError
    for these: they were 500s."""
    text = f"dag_id: tagged\ntasks:\n  - {{task_id: a, params: {{v: {value}}}}}\n"
    response = await client.put("/dags/tagged", content=text, headers=YAML)
    assert problems(response) == [{"loc": "", "msg": f"Invalid YAML: {msg}"}]


async def test_a_megabyte_of_base_60_is_a_string_read_at_once(client) -> None:
    """YAML 1.1 reads `1:59:59` as a base-60 integer; PyYAML computed this one for half a minute
    of CPU, holding the GIL, and then failed (a 500). A definition reads it as YAML 1.2 does: text."""
    description = "1" + ":59" * 330_000
    text = f"dag_id: sexagesimal\ndescription: {description}\ntasks: [{{task_id: a, params: {{at: 1:30}}}}]\n"
    response = await client.put("/dags/sexagesimal", content=text, headers=YAML)
    assert response.status_code == 201, response.text[:300]
    assert response.json()["description"] == description
    assert (await client.get("/dags/sexagesimal/tasks/a")).json()["params"] == "{'at': '1:30'}"


LONG = "1" + "0" * 4400  # more digits than Python's int() reads (4,300)
TOO_LONG = "is an integer of more than 4300 digits, which a definition cannot hold: integers fit in 64 bits"


@pytest.mark.parametrize(
    ("text", "headers"),
    [
        (
            f'{{"dag_id": "long", "description": {LONG}, "tasks": [{{"task_id": "a", "params": {{"n": [1, -{LONG}]}}}}]}}',
            {},
        ),
        (f"dag_id: long\ndescription: {LONG}\ntasks:\n- task_id: a\n  params:\n    n: [1, -{LONG}]\n", YAML),
        # Hex, octal and binary are read whatever their length, into numbers too long to write.
        (
            f"dag_id: long\ndescription: 0x{'f' * 4000}\ntasks:\n- task_id: a\n  params:\n    n: [1, -0b{'1' * 15000}]\n",
            YAML,
        ),
    ],
    ids=["json", "yaml", "yaml-hex-binary"],
)
async def test_an_integer_too_long_to_read_is_400_naming_the_path(client, text, headers) -> None:
    """Python reads and writes at most 4,300 decimal digits: its ValueError, in decoding or later in
    validation, was a 500."""
    response = await client.put("/dags/long", content=text, headers=headers)
    assert problems(response) == [
        {"loc": "description", "msg": f"description {TOO_LONG}"},
        {"loc": "tasks[0].params.n[1]", "msg": f"n[1] {TOO_LONG}"},
    ]
    assert (await client.get("/dags/long")).status_code == 404


async def test_an_integer_too_long_to_read_as_a_yaml_key_is_400(client) -> None:
    text = f"dag_id: long\ntasks:\n- task_id: a\n  params:\n    ? {LONG}\n    : k\n"
    response = await client.put("/dags/long", content=text, headers=YAML)
    assert problems(response) == [
        {
            "loc": "tasks[0].params",
            "msg": "params has a key that is not a string: <an integer of more than 4300 digits>",
        }
    ]


async def test_the_longest_readable_integers_get_the_64_bit_message(client) -> None:
    """4,300 decimal digits, and a hex number of 4,215: read, and refused as any integer beyond 64 bits."""
    hex_digits = "f" * 3500
    text = f"dag_id: long\ntasks: [{{task_id: a, params: {{n: {'9' * 4300}, h: 0x{hex_digits}}}}}]\n"
    response = await client.put("/dags/long", content=text, headers=YAML)
    assert problems(response) == [
        {
            "loc": "tasks[0].params.h",
            "msg": f"params.h must be an integer of at most 64 bits, got {str(int(hex_digits, 16))[:97]}...",
        },
        {
            "loc": "tasks[0].params.n",
            "msg": f"params.n must be an integer of at most 64 bits, got {'9' * 97}...",
        },
    ]
