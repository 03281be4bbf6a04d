"""The region names a frame sends its page: the account's region, the regions above it and
every registered division under it, in the page's language (`Dashboard.place(code)` reads
them; a code without a registered name shows as the code).

The names come from `app.state.place_names` (`recall.service.regions.names.PlaceNames`):
one query per region, kept five minutes per process, so a page view normally costs none.
"""

from __future__ import annotations

from fastapi import Request

from recall.domain.access import Principal
from recall.service.regions.names import PlaceNames


def places(request: Request, principal: Principal | None, language: str) -> dict[str, str]:
    """code → name in `language` for what the account may be shown; {} without a region."""
    if principal is None or principal.region is None:
        return {}
    names: PlaceNames = request.app.state.place_names
    return {code: name.name(language) for code, name in names.around(principal.region).items()}


def labelled(code: str, names: dict[str, str]) -> str:
    """ "太原市 (140100)" when the code has a name, else the code alone."""
    name = names.get(code)
    return f"{name} ({code})" if name else code
