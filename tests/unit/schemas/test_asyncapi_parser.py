"""The exported AsyncAPI document, checked by the official AsyncAPI parser (not skipped).

`tests/support/asyncapi/validate_asyncapi.mjs` runs `@asyncapi/parser` (pinned in
`tests/support/asyncapi/package.json`, installed by `make setup`) and then validates every message
example against its payload schema. Here the document comes from the project's own export
(`recall.tools.contract.export`); records that the code really produces are added as examples,
so the schemas are shown to accept the bytes on the wire, not only to be well formed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from recall.service.recalls.effectiveness import update_effectiveness
from recall.service.risk.bundles import regional_bundle
from recall.tools.contract import (
    RECEIVERS,
    SENDERS,
    ContractError,
    _asyncapi_schema,
    _hoist,
    asyncapi,
    channel_id,
    export,
    message_name,
)
from schemas.topics import ALL_TOPICS, RECALL_EFFECTIVENESS, RISK_REGIONAL, encode
from streams.agents import project
from tests.unit.service.recalls.recall_builders import (
    TOPICS,
    corrected_at,
    day,
    notice,
    report,
    seeded,
)
from tests.unit.service.risk.test_regional_bundles import CASES

ROOT = Path(__file__).resolve().parents[3]
TOOL = ROOT / "tests" / "support" / "asyncapi"
SCRIPT = TOOL / "validate_asyncapi.mjs"
SETUP_HINT = (
    "run `make setup` (Debian's nodejs/npm from `make system-deps`,"
    " then npm ci of tests/support/asyncapi)"
)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is missing: {SETUP_HINT}")
    for package in ("@asyncapi/parser", "ajv", "ajv-formats"):
        if not (TOOL / "node_modules" / package / "package.json").is_file():
            pytest.fail(f"{package} is not installed in {TOOL}/node_modules: {SETUP_HINT}")
    return node


def _validate(document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node(), str(SCRIPT), str(document)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def _assert_valid(result: subprocess.CompletedProcess[str]) -> None:
    diagnostics = result.stdout + result.stderr
    errors = [line for line in diagnostics.splitlines() if line.startswith("error ")]
    assert result.returncode == 0 and not errors, (
        f"AsyncAPI parser rejected the document (exit {result.returncode}):\n{diagnostics}"
    )


def _with_examples(path: Path, examples: dict[str, list[Any]]) -> Path:
    """The document at `path` with `examples` (payloads by message name) added to its messages."""
    document = orjson.loads(path.read_bytes())
    for message, payloads in examples.items():
        document["components"]["messages"][message]["examples"] = [
            {"payload": payload} for payload in payloads
        ]
    out = path.with_name("asyncapi-with-examples.json")
    out.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return out


def _effectiveness_record() -> Any:
    """A `recalls.effectiveness` value as `track_recalls` queues it on the outbox."""
    storage = seeded([notice(), report(1, corrected_at(30))], day(31))
    update_effectiveness(storage, "R-1", TOPICS, day(31))
    (record,) = [r for r in storage.state.outbox.records.values() if r.topic == "eff"]
    return orjson.loads(record.value)


def _regional_record() -> Any:
    """A `risk.regional` value as `assess_risk` produces it (the same builder and encoder)."""
    return orjson.loads(encode(RISK_REGIONAL, regional_bundle(CASES)))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("contract")
    [document] = [p for p in export(directory) if p.name == "asyncapi.json"]
    return document


def test_the_exported_document_passes_the_asyncapi_parser(exported: Path) -> None:
    result = _validate(exported)
    print(result.stdout)  # the diagnostics, warnings and information included, in the log
    _assert_valid(result)
    assert "valid AsyncAPI 3.0.0" in result.stdout


def test_real_records_validate_against_the_documents_schemas(exported: Path) -> None:
    examples = {
        message_name(RISK_REGIONAL): [_regional_record()],
        message_name(RECALL_EFFECTIVENESS): [_effectiveness_record()],
    }
    result = _validate(_with_examples(exported, examples))
    _assert_valid(result)


def test_a_record_off_the_schema_is_an_error(exported: Path) -> None:
    """The check above can fail: a bundle row missing its last field is reported."""
    bad = [row[:-1] for row in _regional_record()]
    effectiveness = {**_effectiveness_record(), "state": "forgotten"}
    result = _validate(
        _with_examples(
            exported,
            {
                message_name(RISK_REGIONAL): [bad],
                message_name(RECALL_EFFECTIVENESS): [effectiveness],
            },
        )
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "example-invalid at /components/messages/regional-bundle/examples/0/payload" in (
        result.stdout
    )
    assert "recall-effectiveness-updated/examples/0/payload: /state" in result.stdout


def test_a_broken_document_is_an_error(tmp_path: Path) -> None:
    """The parser really runs: the old defects (string partitions, `$defs` refs) are errors."""
    document = asyncapi()
    kafka = document["channels"][channel_id(ALL_TOPICS[0])]["bindings"]["kafka"]
    kafka["partitions"] = "RECALL_TOPIC_PARTITIONS (default 6)"
    document["components"]["schemas"]["alert"]["properties"]["kind"] = {"$ref": "#/$defs/Nope"}
    path = tmp_path / "asyncapi.json"
    path.write_bytes(orjson.dumps(document))
    result = _validate(path)
    assert result.returncode == 1
    assert '"partitions" property type must be integer' in result.stdout
    assert "'#/$defs/Nope' does not exist" in result.stdout


def test_every_topic_has_a_channel_message_and_operations() -> None:
    document = asyncapi()
    for spec in ALL_TOPICS:
        channel = document["channels"][channel_id(spec)]
        assert channel["address"] == spec.name
        assert isinstance(channel["bindings"]["kafka"]["partitions"], int)
        message = message_name(spec)
        assert set(channel["messages"]) == {message}
        payload = document["components"]["messages"][message]["payload"]
        assert payload == {"$ref": f"#/components/schemas/{message}"}
        on_topic = [
            o
            for o in document["operations"].values()
            if o["channel"]["$ref"].endswith(f"/{channel_id(spec)}")
        ]
        assert {o["x-role"] for o in on_topic if o["action"] == "send"} == set(SENDERS[spec.name])
        receivers = {o["x-role"] for o in on_topic if o["action"] == "receive"}
        assert receivers == set(RECEIVERS[spec.name])
    assert "$defs" not in orjson.dumps(document).decode()


def test_the_read_model_projectors_are_receivers_of_their_topics() -> None:
    for source in project.SOURCES:
        assert source.agent in RECEIVERS[source.spec.name]


def test_two_models_defining_one_name_differently_fail_the_export() -> None:
    schemas: dict[str, Any] = {}
    _hoist("a", {"$defs": {"Level": {"enum": ["low"]}}}, schemas)
    _hoist("b", {"$defs": {"Level": {"enum": ["low"]}}}, schemas)  # the same: shared
    with pytest.raises(ContractError, match="c: definition Level differs"):
        _hoist("c", {"$defs": {"Level": {"enum": ["high"]}}}, schemas)


def test_tuples_and_discriminators_are_written_the_asyncapi_way() -> None:
    schema = {
        "prefixItems": [{"type": "string"}],
        "items": {"type": "integer"},
        "discriminator": {"propertyName": "type", "mapping": {"a": "#/$defs/A"}},
        "oneOf": [{"$ref": "#/$defs/A"}],
    }
    assert _asyncapi_schema(schema) == {
        "items": [{"type": "string"}],
        "additionalItems": {"type": "integer"},
        "discriminator": "type",
        "oneOf": [{"$ref": "#/components/schemas/A"}],
    }
