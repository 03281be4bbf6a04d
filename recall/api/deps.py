"""Dependencies every route shares, as `Annotated` aliases: who calls, and the stores.

The stores are built once by `recall.api.app.create_api` and kept on `app.state`; routes
read them here, typed by the ports they use, so a route never sees a session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from recall.api.auth import current_principal
from recall.domain.access import Principal
from recall.service.intake.queries import DeadLetterReads
from recall.service.investigations.pages import InvestigationPages
from recall.service.ports import OutputTopics, Storage
from recall.service.recalls.pages import RecallPages


def _storage(request: Request) -> Storage:
    found: Storage = request.app.state.storage
    return found


def _topics(request: Request) -> OutputTopics:
    found: OutputTopics = request.app.state.topics
    return found


def _investigation_pages(request: Request) -> InvestigationPages:
    found: InvestigationPages = request.app.state.listings
    return found


def _recall_pages(request: Request) -> RecallPages:
    found: RecallPages = request.app.state.listings
    return found


def _dead_letter_reads(request: Request) -> DeadLetterReads:
    found: DeadLetterReads = request.app.state.listings
    return found


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
StorageDep = Annotated[Storage, Depends(_storage)]
TopicsDep = Annotated[OutputTopics, Depends(_topics)]
InvestigationPagesDep = Annotated[InvestigationPages, Depends(_investigation_pages)]
RecallPagesDep = Annotated[RecallPages, Depends(_recall_pages)]
DeadLetterReadsDep = Annotated[DeadLetterReads, Depends(_dead_letter_reads)]
