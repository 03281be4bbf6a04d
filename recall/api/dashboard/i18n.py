"""The dashboard's two languages: gettext catalogues (Babel) and per-locale formatting.

Catalogues live as `.po` files under `locale/<lang>/LC_MESSAGES/`: `messages.po` for the
frame and the first pages, one `<page>.po` per later page (so pages are translated side by side
without editing one file). Source strings are English; `zh_CN` translates them. All of a
language's files are merged and compiled in memory when first used, so no generated `.mo` file
is committed or needs a build step. Update them with Babel's tools::

    pybabel extract -F recall/api/dashboard/babel.cfg -o /tmp/messages.pot recall/api/dashboard
    pybabel update -i /tmp/messages.pot -d recall/api/dashboard/locale

The language is the `lang` query parameter when given (remembered in a cookie), else the
cookie, else the browser's Accept-Language, else Chinese — the regulators' language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh_CN", "en")
DEFAULT = "zh_CN"
COOKIE = "recall_lang"
TIMEZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Language:
    """One language's catalogue and formatters, as templates and scripts use them."""

    code: str
    translations: Translations

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.code)

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.code == "zh_CN" else "en"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.code)

    def percent(self, value: float | None) -> str:
        return "—" if value is None else format_percent(value, "#,##0.0%", locale=self.code)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return format_datetime(moment, "medium", tzinfo=TIMEZONE, locale=self.code)


@cache
def language(code: str) -> Language:
    """The compiled catalogue of `code` (one of LANGUAGES), loaded once per process."""
    if code not in LANGUAGES:
        code = DEFAULT
    catalog = catalogue(code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Language(code, Translations(fp=compiled))


def catalogue(code: str) -> Catalog:
    """Every `.po` file of `code` merged into one catalogue (`messages.po` first)."""
    files = sorted(
        (LOCALE_DIR / code / "LC_MESSAGES").glob("*.po"), key=lambda p: (p.stem != "messages", p)
    )
    merged = Catalog(locale=code)
    for path in files:
        with path.open("rb") as source:
            for message in read_po(source, locale=code):
                if message.id and message.id not in merged:
                    merged[message.id] = message
    return merged


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language to answer in (see the module docstring for the order)."""
    for candidate in (query, cookie):
        normalised = _normalise(candidate)
        if normalised:
            return normalised
    for part in (accept_language or "").split(","):
        normalised = _normalise(part.split(";")[0].strip())
        if normalised:
            return normalised
    return DEFAULT


def _normalise(tag: str | None) -> str | None:
    if not tag:
        return None
    tag = tag.replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None
