"""The public feed (召回公告): published recall notices as JSON pages and as an Atom 1.0 feed.

No authentication: these routes never depend on `current_principal`, so an anonymous caller
(the `public` role) reads them, and so does everyone else. They read only through
`PublicNotices`, which maps the notice's public fields and nothing else; investigations,
progress figures and who-did-what never appear here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from recall.adapters.db.public_feed import SqlPublicNotices
from recall.api import labels, lists
from recall.api.problems import PROBLEM_RESPONSES, not_found
from recall.service.paging import PageRequest
from recall.service.public.ports import PublicNotices, PublishedNotice
from schemas import api
from schemas.common import RiskLevel
from schemas.recalls import RecallState

router = APIRouter(prefix="/public", tags=["public 公开"], responses=PROBLEM_RESPONSES)

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TAG_AUTHORITY = "tag:recall-tracker.org,2026:"
"""Entry ids are tag URIs (RFC 4151) of the recall id: stable across hosts and restarts."""
FEED_SIZE = 100
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class PublicSort(StrEnum):
    START_DESC = "-start"
    START = "start"
    UPDATED_DESC = "-updated_at"
    UPDATED = "updated_at"


def _notices(request: Request) -> PublicNotices:
    """The feed's reads over the app's session factory (built per request: it holds none)."""
    return SqlPublicNotices(request.app.state.sessions)


NoticesDep = Annotated[PublicNotices, Depends(_notices)]


@router.get("/recalls", response_model=api.PublicRecallPage)
def public_recalls(
    request: Request,
    notices: NoticesDep,
    sort: PublicSort = PublicSort.START_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
) -> Any:
    """Published recall notices, newest start first; no authentication needed."""
    first = lists.page_request(request, sort.value, cursor, limit)
    page = notices.notice_page(first)
    return lists.page_body(request, page, sort.value, [_public(n) for n in page.items])


@router.get(
    "/recalls.atom",
    response_class=Response,
    responses={
        200: {
            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
            "description": "Atom 1.0 feed",
        }
    },
)
def public_recalls_atom(request: Request, notices: NoticesDep) -> Response:
    """The latest published notices as an Atom 1.0 feed (zh and en), most recently changed first."""
    page = notices.notice_page(PageRequest("updated_at", True, FEED_SIZE))
    base = str(request.base_url).rstrip("/")
    body = atom_feed(page.items, notices.last_change(), self_url=str(request.url), base_url=base)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/recalls/{recall_id}", response_model=api.PublicRecall)
def public_recall(recall_id: str, notices: NoticesDep) -> api.PublicRecall:
    """One published notice; 404 when no such recall was published."""
    found = notices.notice(recall_id)
    if found is None:
        raise not_found("recall", recall_id)
    return _public(found)


def _public(n: PublishedNotice) -> api.PublicRecall:
    return api.PublicRecall(
        recall_id=n.recall_id,
        title=n.title,
        brand=n.brand,
        model=n.model,
        gtin=n.gtin,
        batches=list(n.batches),
        category=n.category,
        category_label=labels.label(labels.CATEGORIES, n.category),
        hazard=n.hazard,
        hazard_label=labels.label(labels.HAZARDS, n.hazard),
        risk_level=RiskLevel(n.risk_level),
        remedies=list(n.remedies),
        remedy_labels=[labels.label(labels.REMEDIES, r) for r in n.remedies],
        firm_name=n.firm_name,
        firm_credit_code=n.firm_credit_code,
        region=n.region,
        start=n.start,
        state=RecallState(n.state),
        updated_at=n.updated_at,
    )


def entry_id(recall_id: str) -> str:
    """The stable tag URI of a recall's entry."""
    return f"{TAG_AUTHORITY}recall/{quote(recall_id, safe='')}"


def atom_feed(
    items: list[PublishedNotice], updated: datetime | None, *, self_url: str, base_url: str
) -> bytes:
    """An Atom 1.0 document; ElementTree escapes every text and attribute."""
    feed = ET.Element("feed", {"xmlns": ATOM, XML_LANG: "zh-CN"})
    _text(feed, "id", f"{TAG_AUTHORITY}feed/recalls")
    _text(feed, "title", "缺陷产品召回公告 / Product recall notices")
    _text(feed, "updated", _stamp(updated or datetime(1970, 1, 1, tzinfo=UTC)))
    ET.SubElement(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    author = ET.SubElement(feed, "author")
    _text(author, "name", "recall-tracker")
    for n in items:
        _entry(feed, n, base_url)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def _entry(feed: ET.Element, n: PublishedNotice, base_url: str) -> None:
    entry = ET.SubElement(feed, "entry")
    _text(entry, "id", entry_id(n.recall_id))
    _text(entry, "title", f"{n.title} ({n.brand} {n.model})")
    _text(entry, "updated", _stamp(n.updated_at))
    _text(entry, "published", _stamp(n.start))
    href = f"{base_url}/public/recalls/{quote(n.recall_id, safe='')}"
    ET.SubElement(entry, "link", rel="alternate", href=href, type="application/json")
    author = ET.SubElement(entry, "author")
    _text(author, "name", n.firm_name or n.firm_credit_code)
    ET.SubElement(
        entry, "category", term=n.category, label=labels.label(labels.CATEGORIES, n.category)
    )
    zh, en = _summaries(n)
    _text(entry, "summary", zh).set(XML_LANG, "zh-CN")
    content = _text(entry, "content", en)
    content.set("type", "text")
    content.set(XML_LANG, "en")


def _summaries(n: PublishedNotice) -> tuple[str, str]:
    hazard_zh, hazard_en = labels.pair(labels.HAZARDS, n.hazard)
    cat_zh, cat_en = labels.pair(labels.CATEGORIES, n.category)
    rem = [labels.pair(labels.REMEDIES, r) for r in n.remedies]
    firm = n.firm_name or n.firm_credit_code
    batches = "、".join(n.batches)
    zh = (
        f"{firm}（统一社会信用代码 {n.firm_credit_code}）召回{cat_zh} {n.brand} {n.model}"
        f"{'，批次 ' + batches if batches else ''}。危害：{hazard_zh}；风险等级：{n.risk_level}；"
        f"措施：{'、'.join(z for z, _ in rem)}；地区 {n.region}；"
        f"自 {n.start.date().isoformat()} 起。"
    )
    en = (
        f"{firm} (credit code {n.firm_credit_code}) recalls {cat_en.lower()} {n.brand} {n.model}"
        f"{', batches ' + ', '.join(n.batches) if n.batches else ''}. Hazard: {hazard_en}; "
        f"risk level: {n.risk_level}; remedies: {', '.join(e.lower() for _, e in rem)}; "
        f"region {n.region}; from {n.start.date().isoformat()}."
    )
    return zh, en


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _NOT_XML.sub("\ufffd", text)
    return element


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
