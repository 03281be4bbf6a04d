"""Walk every endpoint the application exposes, as one principal, and check its scope.

The endpoints are read from the application itself (its OpenAPI document and its routes), so
resources added later are walked without touching this module:

- a **list** (GET, no path parameter): every item, as JSON, as CSV (`format=csv`) and as NDJSON
  (`format=ndjson`, where offered), also with a `region` filter, passes `can_see`; for a
  regulator every `region`/`jurisdiction` in the body lies in its area; when the JSON page is
  the last one, the CSV has as many rows and the NDJSON the same items in the same order;
- a **detail** (GET with an id): outside the scope it is 404 with the body of a missing id;
- a **submission** (`GET /submissions/{event_id}`): a station or firm reads the refusal of its
  own events; anyone else's event reads exactly as an id never seen (no existence leak);
- an **action** (any other method): outside the scope it is 404 with the body of a missing id,
  inside the scope for a role that may not act it is 403, and a 403 or 404 changes nothing
  (every table compared before and after, the audit log only gaining `denied` entries, and
  nothing published).

Items and path parameters are matched to stored objects by their id field (`scope_world`);
what cannot be matched is counted and, for regulators, still checked by its region.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import AuditEntry, Base
from recall.api.auth import current_principal
from recall.domain.access import Principal, Role, Scoped, can_see
from recall.domain.jurisdiction import covers

World = dict[tuple[str, str], Scoped]
ID_FIELDS = ("investigation_id", "recall_id", "signal_id", "alert_id", "station_id")
OWNER_FIELDS = ("product_key", "manufacturer_code")
PARAM_FIELDS = {"product_key": "product_key", "key": "product_key", "code": "manufacturer_code"}
PREFIX_FIELDS = {
    "investigations": "investigation_id",
    "recalls": "recall_id",
    "signals": "signal_id",
    "alerts": "alert_id",
    "stations": "station_id",
    "products": "product_key",
    "scores": "product_key",
}
ACTING = {"investigation_id": {Role.REGULATOR}, "recall_id": {Role.REGULATOR}}
"""Roles that act on the kinds whose rules docs/api.md states; others are checked generically."""
SEEN_IN_SCOPE = {"investigation_id", "recall_id"}
"""Kinds whose detail must answer 200 inside the scope (elsewhere only < 500 is required)."""
MISSING = "zz-missing-0042"
UNSEEN_EVENT = "00000000-0000-4000-8000-00000000dead"
"""An event id no record ever claimed: what another reporter's submission must look like."""
REGION_KEYS = {"region", "jurisdiction"}
CODE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    params: tuple[str, ...]
    query: frozenset[str]
    body: dict[str, Any] | None
    public: bool
    formats: frozenset[str] = frozenset()

    @property
    def id_field(self) -> str | None:
        """The kind of object the path's one parameter names (None: not one we can fill)."""
        if len(self.params) != 1:
            return None
        name = self.params[0]
        if name in ID_FIELDS or name in PARAM_FIELDS:
            return PARAM_FIELDS.get(name, name)
        return PREFIX_FIELDS.get(self.path.strip("/").split("/")[0])


def operations(app: FastAPI, client: TestClient) -> list[Operation]:
    """Every operation of the OpenAPI document; public when it answers without a token."""
    document = app.openapi()
    found = []
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            parameters = spec.get("parameters", [])
            schema = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
            body = example(schema.get("schema"), document) if schema else None
            params = tuple(p["name"] for p in parameters if p["in"] == "path")
            anonymous = client.request(method.upper(), _fill(path, params, MISSING))
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    params=params,
                    query=frozenset(p["name"] for p in parameters if p["in"] == "query"),
                    body=body if isinstance(body, dict) else None,
                    public=anonymous.status_code not in (401, 429),
                    formats=_formats(parameters, document),
                )
            )
    return found


def example(schema: Any, document: dict[str, Any]) -> Any:  # noqa: PLR0911  # one per type
    """A small valid value of a JSON schema (required fields only, first enum member)."""
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example(document["components"]["schemas"][name], document)
    for combined in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(combined, []) if s.get("type") != "null"]
        if options:
            return example(options[0], document)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {k: example(properties[k], document) for k in schema.get("required", [])}
    if kind == "array":
        return [example(schema.get("items"), document)] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2024-03-01T09:00:00Z"
    return "x" * max(1, schema.get("minLength", 1))


@dataclass
class Publishes:
    """Stands in for every publisher on `app.state`: what the API would have sent."""

    sent: list[tuple[str, bytes]] = field(default_factory=list)

    def publish(self, key: str, value: bytes, *args: Any, **kwargs: Any) -> None:
        self.sent.append((key, value))


def fake_publishers(app: FastAPI) -> Publishes:
    """Replace whatever on `app.state` publishes (a firm submission's Kafka producer)."""
    fake = Publishes()
    state: dict[str, Any] = app.state._state
    for name, value in list(state.items()):
        if callable(getattr(value, "publish", None)):
            state[name] = fake
    return fake


@dataclass
class Walker:
    """Walks `ops` as principals on `client`; `tally` counts every check made."""

    app: FastAPI
    client: TestClient
    db: sessionmaker[Session]
    read: Callable[[], World]
    published: Publishes
    ops: list[Operation] = field(init=False)
    tally: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.app.dependency_overrides.pop(current_principal, None)
        self.ops = operations(self.app, self.client)

    def walk(self, principal: Principal, region_filter: str) -> None:
        self.app.dependency_overrides[current_principal] = lambda: principal
        world = self.read()
        for op in self.ops:
            if op.public:
                continue
            if op.method == "GET" and op.params == ("event_id",):
                self._submissions(principal, op, world)
            elif op.method == "GET" and not op.params:
                self._list(principal, op, world, region_filter)
            elif op.method == "GET":
                self._details(principal, op, world)
            elif op.params:
                world = self._actions(principal, op, world)
            else:
                self._collection_action(principal, op)

    # -- lists ---------------------------------------------------------------------------
    def _list(self, who: Principal, op: Operation, world: World, region: str) -> None:
        query = {"limit": "500"} if "limit" in op.query else {}
        filters = [query, {**query, "region": region}] if "region" in op.query else [query]
        for params in filters:
            response = self.client.get(op.path, params=params)
            assert response.status_code < 500, (who, op.path, response.text)
            if response.status_code != 200 or "json" not in response.headers["content-type"]:
                continue
            body = response.json()
            items = body.get("items", []) if isinstance(body, dict) else body
            for item in items if isinstance(items, list) else []:
                self._item(who, op, world, item)
            self._regions(who, op, body)
            if "csv" in op.formats:
                self._csv(who, op, world, params, body)
            if "ndjson" in op.formats:
                self._ndjson(who, op, world, params, body)

    def _csv(
        self, who: Principal, op: Operation, world: World, params: dict[str, str], body: Any
    ) -> None:
        response = self.client.get(op.path, params={**params, "format": "csv"})
        assert response.status_code == 200, (who, op.path, response.text)
        rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
        keys = [_snake(h.split(" / ")[-1]) for h in rows[0]]
        for row in rows[1:]:
            self._item(who, op, world, dict(zip(keys, row, strict=True)))
        if isinstance(body, dict) and "next" in body and body["next"] is None:
            assert len(rows) - 1 == len(body.get("items", [])), (who, op.path)
            self.tally["csv rows = json items"] += 1

    def _ndjson(
        self, who: Principal, op: Operation, world: World, params: dict[str, str], body: Any
    ) -> None:
        response = self.client.get(op.path, params={**params, "format": "ndjson"})
        assert response.status_code == 200, (who, op.path, response.text)
        assert response.headers["content-type"] == "application/x-ndjson", (who, op.path)
        items = [json.loads(line) for line in response.text.split("\n")[:-1]]
        for item in items:
            self._item(who, op, world, item)
        self._regions(who, op, items)
        if isinstance(body, dict) and "next" in body and body["next"] is None:
            listed = [item_key(i) for i in body.get("items", [])]
            assert [item_key(i) for i in items] == listed, (who, op.path)
            self.tally["ndjson items = json items, in order"] += 1

    def _item(self, who: Principal, op: Operation, world: World, item: dict[str, Any]) -> None:
        key = item_key(item)
        if key is not None and key in world:
            assert can_see(who, world[key]), (who, op.path, key, "listed outside the scope")
            self.tally["list item in scope"] += 1
        else:
            self.tally["list item not matched to a stored object"] += 1
            self._regions(who, op, item)

    def _regions(self, who: Principal, op: Operation, body: Any) -> None:
        if who.role is not Role.REGULATOR or who.region is None:
            return
        for code in region_values(body):
            assert covers(who.region, code), (who, op.path, code, "a region outside the area")
            self.tally["region in the area"] += 1

    # -- details -------------------------------------------------------------------------
    def _details(self, who: Principal, op: Operation, world: World) -> None:
        kind = op.id_field
        if kind is None:
            self.tally[f"skipped (no id to fill) {op.method} {op.path}"] += 1
            return
        missing = self.client.get(_url(op, MISSING))
        assert missing.status_code in (403, 404), (who, op.path, missing.text)
        for (field_name, identifier), obj in world.items():
            if field_name != kind:
                continue
            response = self.client.get(_url(op, identifier))
            if can_see(who, obj):
                assert response.status_code < 500, (who, op.path, identifier, response.text)
                if kind in SEEN_IN_SCOPE:
                    assert response.status_code == 200, (who, op.path, identifier)
                self._regions(who, op, _json(response))
                self.tally["detail in scope answered"] += 1
            else:
                _same_as_missing(response, missing, identifier, (who, op.path))
                self.tally["detail outside scope = 404 as missing"] += 1

    def _submissions(self, who: Principal, op: Operation, world: World) -> None:
        """A reporter reads the fate of its own events only; anyone else's reads exactly as an
        id never seen (`pending`, or the role's 403), so an answer never tells that it exists."""
        unseen = self.client.get(_url(op, UNSEEN_EVENT))
        assert unseen.status_code in (200, 403), (who, op.path, unseen.text)
        for (field_name, identifier), obj in world.items():
            if field_name != "event_id":
                continue
            response = self.client.get(_url(op, identifier))
            assert response.status_code < 500, (who, op.path, identifier, response.text)
            own = who.role in (Role.STATION, Role.FIRM) and who.station_id == obj.station_id
            if own:
                assert response.status_code == 200, (who, op.path, identifier, response.text)
                assert response.json()["state"] == "rejected", (who, identifier, response.text)
                self.tally["own submission: its refusal answered"] += 1
            else:
                seen = response.text.replace(identifier, "<id>")
                assert response.status_code == unseen.status_code, (who, identifier)
                assert seen == unseen.text.replace(UNSEEN_EVENT, "<id>"), (who, seen, unseen.text)
                self.tally["another reporter's submission = as never seen"] += 1

    # -- actions -------------------------------------------------------------------------
    def _actions(self, who: Principal, op: Operation, world: World) -> World:
        kind = op.id_field
        if kind is None:
            self.tally[f"skipped (no id to fill) {op.method} {op.path}"] += 1
            return world
        missing, _ = self._changing(op, MISSING)
        assert missing.status_code in (403, 404), (who, op.path, missing.text)
        for (field_name, identifier), obj in list(world.items()):
            if field_name != kind:
                continue
            response, changed = self._changing(op, identifier)
            assert response.status_code < 500, (who, op.path, identifier, response.text)
            if not can_see(who, obj):
                _same_as_missing(response, missing, identifier, (who, op.method, op.path))
                self.tally["action outside scope = 404, nothing changed"] += 1
            elif kind in ACTING and who.role not in ACTING[kind]:
                assert response.status_code == 403, (who, op.path, identifier, response.text)
                self.tally["action by a non-acting role = 403, nothing changed"] += 1
            if response.status_code in (403, 404):
                assert not changed, (who, op.method, op.path, identifier, changed)
            elif response.is_success:
                world = self.read()
        return world

    def _collection_action(self, who: Principal, op: Operation) -> None:
        response, changed = self._changing(op, None)
        assert response.status_code < 500, (who, op.path, response.text)
        if response.status_code in (401, 403, 404, 422):
            assert not changed, (who, op.method, op.path, changed)
            self.tally["refused submission changed nothing"] += 1

    def _changing(self, op: Operation, identifier: str | None) -> tuple[Response, list[str]]:
        """Send the action; the tables (and publishes) it changed, if the outcome was a 403 or
        404 — a denial must leave everything but `denied` audit entries as it was."""
        before, sent = self._state(), len(self.published.sent)
        url = op.path if identifier is None else _url(op, identifier)
        response = self.client.request(op.method, url, json=op.body)
        if response.status_code not in (403, 404):
            return response, []
        after = self._state()
        changed = [t for t in before if before[t] != after[t] and t != AuditEntry.__tablename__]
        audit = after[AuditEntry.__tablename__] - before[AuditEntry.__tablename__]
        changed += [f"audit {entry}" for entry in audit if "'denied'" not in entry]
        if len(self.published.sent) != sent:
            changed.append("published")
        return response, changed

    def _state(self) -> dict[str, frozenset[str]]:
        with self.db() as session:
            return {
                table.name: frozenset(repr(tuple(row)) for row in session.execute(select(table)))
                for table in Base.metadata.sorted_tables
            }


def item_key(item: dict[str, Any]) -> tuple[str, str] | None:
    """The (id field, id) an item is known by, or None."""
    first = next(iter(item), None)
    if (
        first is not None
        and first.endswith(("_id", "_key"))
        and first not in ID_FIELDS + OWNER_FIELDS
    ):
        return None  # an object of a kind the world does not hold
    for name in ID_FIELDS:
        if isinstance(item.get(name), str) and item[name]:
            return (name, item[name])
    if "partition" in item and "offset" in item:
        return ("dead_letter", f"{item['partition']}/{item['offset']}")
    for name in OWNER_FIELDS:
        if isinstance(item.get(name), str) and item[name]:
            return (name, item[name])
    return None


def region_values(body: Any) -> Iterator[str]:
    """Every six-digit `region`/`jurisdiction` value anywhere in a JSON body."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key in REGION_KEYS and isinstance(value, str) and CODE.match(value):
                yield value
            else:
                yield from region_values(value)
    elif isinstance(body, list):
        for value in body:
            yield from region_values(value)


def _same_as_missing(response: Response, missing: Response, identifier: str, where: Any) -> None:
    assert response.status_code == 404, (where, identifier, response.status_code, response.text)
    assert missing.status_code == 404, (where, missing.text)
    seen = response.text.replace(quote(identifier, safe=""), "<id>").replace(identifier, "<id>")
    assert seen == missing.text.replace(MISSING, "<id>"), (where, seen, missing.text)


def _formats(parameters: list[dict[str, Any]], document: dict[str, Any]) -> frozenset[str]:
    """The values a `format` query parameter allows (its enum, behind a `$ref`)."""
    for parameter in parameters:
        if parameter["in"] == "query" and parameter["name"] == "format":
            schema = parameter["schema"]
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            return frozenset(schema.get("enum", ()))
    return frozenset()


def _url(op: Operation, identifier: str) -> str:
    return _fill(op.path, op.params, identifier)


def _fill(path: str, params: tuple[str, ...], identifier: str) -> str:
    for name in params:
        path = path.replace("{" + name + "}", quote(identifier, safe=""))
    return path


def _json(response: Response) -> Any:
    return response.json() if "json" in response.headers.get("content-type", "") else None


def _snake(header: str) -> str:
    name = header.strip().lower().replace(" ", "_")
    return {"product": "product_key", "reporter": "reporter_id"}.get(name, name)
