"""Dead letters (退回记录): why a station's records were refused.

Scope: a station reads its own letters; a regulator those of the stations registered in its
area (by the station's jurisdiction); other roles none. A letter shows the reason, the field
errors, the record's position on the topic and when it was received — never its bytes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Query, Request

from recall.api import audit as api_audit
from recall.api import lists
from recall.api.deps import CurrentPrincipal, DeadLetterReadsDep
from recall.api.problems import PROBLEM_RESPONSES
from recall.domain.access import can_see
from recall.service.intake import queries as service
from schemas import api
from schemas.records import RejectReason

router = APIRouter(
    prefix="/dead-letters", tags=["dead letters 退回记录"], responses=PROBLEM_RESPONSES
)


class DeadLetterSort(StrEnum):
    RECEIVED_DESC = "-received_at"
    RECEIVED = "received_at"


COLUMNS = (
    lists.Column("received_at", "接收时间", "Received at"),
    lists.Column("reporter_id", "报告方", "Reporter"),
    lists.Column("region", "辖区", "Region"),
    lists.Column("reason", "原因", "Reason"),
    lists.Column("errors", "字段错误", "Field errors"),
    lists.Column("topic", "主题", "Topic"),
    lists.Column("partition", "分区", "Partition"),
    lists.Column("offset", "偏移量", "Offset"),
)


@router.get("", response_model=api.DeadLetterPage, responses=lists.EXPORTS)
def list_dead_letters(
    request: Request,
    principal: CurrentPrincipal,
    reads: DeadLetterReadsDep,
    reason: RejectReason | None = None,
    station: str | None = Query(default=None, max_length=64, description="a reporter id"),
    sort: DeadLetterSort = DeadLetterSort.RECEIVED_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
    export: lists.ExportFormat = lists.Format.JSON,
) -> Any:
    """Refused records in the caller's scope, most recent first by default."""
    scope = service.scope_of(principal)
    if scope is None:
        raise api_audit.forbidden(request, "list dead letters", "stations and regulators")
    where = service.narrowed(scope, reason=reason.value if reason else None, reporter_id=station)
    first = lists.page_request(request, sort.value, cursor, limit)

    def fetch(page: Any) -> Any:
        return service.dead_letter_page(reads, where, page)

    def shown(items: list[service.DeadLetterView]) -> list[api.DeadLetter]:
        return [_letter(i) for i in items if can_see(principal, service.scoped(i))]

    if export is not lists.Format.JSON:
        documents = (shown(items) for items in lists.every_page(fetch, first))
        return lists.export_response(export, COLUMNS, documents, "dead-letters")
    page = fetch(first)
    return lists.page_body(request, page, sort.value, shown(page.items))


def _letter(view: service.DeadLetterView) -> api.DeadLetter:
    topic, partition, offset = view.position
    return api.DeadLetter(
        topic=topic,
        partition=partition,
        offset=offset,
        reporter_id=view.reporter_id,
        region=view.region,
        reason=view.reason,
        errors=[api.FieldProblem(field=f, message=m) for f, m in view.errors],
        received_at=view.received_at,
    )
