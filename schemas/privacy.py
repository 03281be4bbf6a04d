"""Personal identifiers in text: find them (to refuse a report) and redact them (in logs).

Injury reports must never carry a patient's name, phone or ID number (DESIGN.md §2). Structured
fields cannot hold them (there is no such field and unknown fields are refused); free text,
labels and identifiers are the remaining holes, so they are scanned for the shapes that identify
a person: an 18-character resident ID number with a valid GB 11643 check character, the old
15-digit form, and mainland mobile numbers.

People (and evasive software) write these numbers in many ways, so the scan runs on a
normalised view of the text rather than on the raw characters:

- every character is NFKC-folded and any script's decimal digits count ("１３８", "١٣٨", "①");
- invisible characters between digits are ignored (zero-width spaces and joiners, bidi
  controls, soft hyphens, combining marks, control characters such as NUL);
- digit groups separated by at most three separator characters (spaces of any width, dashes,
  dots, slashes, underscores, middle dots) form one run: "138-0013-8000", "110101 1990 0307
  457X";
- letters around a number do not hide it ("ID110101199003074578", "abc13800138000def").

False positives are kept low by testing only whole digit groups of a run (a 13-digit GTIN is
never cut into a "mobile number"), by exact lengths (11 digits for a mobile, 15 or 18 for an
ID), and by the structure of the number: a mobile starts 13-19, an ID starts with a province
code (or 9, the 2023 permanent-residence card) and carries a plausible birth date and, for 18
characters, a valid check character. Batch numbers ("20240101-001"), dates, measurements
("12.5 mm") and GTINs of 8, 12, 13 or 14 digits pass.

The work is linear in the length of the text: one `str.translate` to a class string (one class
character per input character), one regular expression with a single character class to find
the digit regions (no nested quantifiers, so no backtracking), and a scan of each region in
which every start group looks at most 18 digits ahead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Final, Literal

from schemas.codes import PROVINCE_PREFIXES, is_resident_id_number

Kind = Literal["resident_id", "resident_id_15", "mobile"]

_DESCRIPTIONS: Final[dict[Kind, str]] = {
    "resident_id": "a resident ID number (居民身份证号)",
    "resident_id_15": "a 15-digit resident ID number (旧版身份证号)",
    "mobile": "a mobile phone number (手机号)",
}
_MARKERS: Final[dict[Kind, str]] = {
    "resident_id": "[redacted:resident_id]",
    "resident_id_15": "[redacted:resident_id]",
    "mobile": "[redacted:mobile]",
}

# Class characters of the normalised view; one per input character, so positions carry over.
_SEPARATOR = " "
_IGNORED = "~"
_OTHER = "#"
_MULTI = "m"  # one character standing for several digits ("⑩", "½")
_CHECK_X = "X"
_SEPARATOR_PUNCTUATION = frozenset("./_·・\u2212")  # plus whitespace and dash punctuation (Pd)
_MAX_SEPARATORS = 3  # " - " between groups still joins them; a longer gap starts a new number
_MAX_DIGITS = 18

# Residence permits for Hong Kong, Macao (81, 82) and Taiwan (83) residents use the same format.
_ID_PREFIXES = PROVINCE_PREFIXES | {"83"}


def _is_separator(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Pd" or char in _SEPARATOR_PUNCTUATION


def _classify(code_point: int) -> str:
    """The class of one character in the normalised view (see the module docstring)."""
    char = chr(code_point)
    if char.isascii():
        folded = char
    elif _is_separator(char):
        folded = " "
    elif unicodedata.category(char) in ("Cf", "Cc", "Mn", "Me"):
        return _IGNORED
    else:
        folded = unicodedata.normalize("NFKC", char)
    if folded in ("X", "x"):
        return _CHECK_X
    if len(folded) == 1 and _is_separator(folded):
        return _SEPARATOR
    if char.isascii() and unicodedata.category(char) == "Cc":  # NUL, ESC, DEL
        return _IGNORED
    digits = _digits_of(folded)
    if len(digits) > 1:
        return _MULTI
    return digits or _OTHER


def _digits_of(folded: str) -> str:
    """ASCII digits for every decimal digit of any script in an NFKC-folded string."""
    values = (unicodedata.decimal(c, None) for c in folded)
    return "".join(str(v) for v in values if v is not None)


class _ClassTable(dict[int, str]):
    """`str.translate` table that classifies each character once, on first sight."""

    def __missing__(self, code_point: int) -> str:
        value = _classify(code_point)
        self[code_point] = value
        return value


_CLASSES = _ClassTable()
_REGION = re.compile(r"[0-9m][0-9m ~X]*")  # a single class repeated: linear, no backtracking
_JSON_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|([nrtbf/\\"]))')
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "/": "/"}


def _class_view(text: str, json_escapes: bool) -> tuple[str, dict[int, str]]:
    """The class string of `text`, and the decoded character at each JSON escape.

    With `json_escapes`, an escape such as "\\u0031" is classified as the character it stands
    for, at the position of its backslash; its other characters are ignored, so a number hidden
    in escaped JSON (a dead letter's original bytes, a logged payload) is found too.
    """
    if not json_escapes or "\\" not in text:
        return text.translate(_CLASSES), {}
    parts: list[str] = []
    decoded: dict[int, str] = {}
    last = 0
    for match in _JSON_ESCAPE.finditer(text):
        parts.append(text[last : match.start()].translate(_CLASSES))
        hex_digits, simple = match.groups()
        if hex_digits is not None:
            char = chr(int(hex_digits, 16))
        else:
            char = _SIMPLE_ESCAPES.get(simple, "\\")  # \\ and \" are not digits or separators
        decoded[match.start()] = char
        parts.append(_CLASSES[ord(char)] + _IGNORED * (match.end() - match.start() - 1))
        last = match.end()
    parts.append(text[last:].translate(_CLASSES))
    return "".join(parts), decoded


def _plausible_birth(year: str, month: str, day: str) -> bool:
    century_ok = year == "" or year[:2] in ("19", "20")
    return century_ok and "01" <= month <= "12" and "01" <= day <= "31"


def _mobile(digits: str) -> Kind | None:
    """11 digits starting 13-19, optionally after the country code 86 or 0086."""
    for prefix in ("", "86", "0086"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            rest = digits[len(prefix) :]
            if rest[0] == "1" and rest[1] in "3456789":
                return "mobile"
    return None


def _resident_id(digits: str) -> Kind | None:
    """18 characters (check character valid) or the old 15 digits, with a plausible birth date."""
    if len(digits) == 18:
        prefix_ok = digits[:2] in _ID_PREFIXES or digits[0] == "9"
        birth_ok = _plausible_birth(digits[6:10], digits[10:12], digits[12:14])
        if prefix_ok and birth_ok and is_resident_id_number(digits):
            return "resident_id"
        return None
    prefix_ok = digits[:2] in PROVINCE_PREFIXES
    if len(digits) == 15 and prefix_ok and _plausible_birth("", digits[8:10], digits[10:12]):
        return "resident_id_15"
    return None


def _kind_of(digits: str) -> Kind | None:
    """What a whole run of digits (with "X" for a trailing check character) identifies."""
    return _resident_id(digits) or _mobile(digits)


class _Run:
    """Digit groups joined by short separators: the unit in which numbers are looked for."""

    __slots__ = ("digits", "ends", "lengths", "starts", "x_at")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.digits: list[str] = []  # capped: only the first 19 digits of a group matter
        self.lengths: list[int] = []
        self.x_at: int | None = None  # position of an "X" glued to the last group

    def matches(self) -> Iterator[tuple[int, int, Kind]]:
        """(first position, last position, kind) of each identifier, left to right.

        From each start group the longest identifying span of whole groups is taken. Cumulative
        digit counts strictly increase (every group has a digit), so the group that ends a span
        of 11, 13, 15, 17 or 18 digits is one dictionary look-up: constant work per group.
        """
        count = len(self.starts)
        cumulative = [0]
        for length in self.lengths:
            cumulative.append(cumulative[-1] + length)
        group_ending_at = {total: k - 1 for k, total in enumerate(cumulative)}
        i = 0
        while i < count:
            best = self._longest_from(i, cumulative[i], group_ending_at, count)
            if best is None:
                i += 1
                continue
            last_group, end, kind = best
            yield self.starts[i], end, kind
            i = last_group + 1

    def _longest_from(
        self, i: int, before: int, group_ending_at: dict[int, int], count: int
    ) -> tuple[int, int, Kind] | None:
        for length in _CANDIDATE_LENGTHS:  # longest first
            j = group_ending_at.get(before + length)
            if j is None:
                continue
            joined = "".join(self.digits[i : j + 1])
            if length == _MAX_DIGITS - 1:
                kind = _kind_of(joined + "X") if j == count - 1 and self.x_at is not None else None
                if kind is not None:
                    return j, self.x_at or 0, kind
                continue
            kind = _kind_of(joined)
            if kind is not None:
                return j, self.ends[j], kind
        return None


_CANDIDATE_LENGTHS = (18, 17, 15, 13, 11)  # ID, ID ending in X, old ID or 0086, +86, mobile
# Within a digit region: a group (digits, with invisible characters inside or after), a gap
# of separators (with invisible characters), or an X. Each alternative starts with a different
# class and every quantifier is over one class, so tokenising is linear.
_TOKEN = re.compile(r"(?P<group>[0-9m][0-9m~]*)|(?P<gap>[ ~]+)|X")


def _runs(
    classes: str, text: str, decoded: dict[int, str], *, skip_sparse: bool = True
) -> Iterator[_Run]:
    """Every run of digit groups in the class string (see `_Run`).

    With `skip_sparse`, a region with too few digits to hold an identifier (`_too_few_digits`)
    is not tokenised: a run lies within one region, so it yields no match either way. Long
    text such as a dead letter's original JSON has dozens of short digit regions (dates, ids,
    counts) and maybe one worth a look.
    """
    for region in _REGION.finditer(classes):
        if skip_sparse and _too_few_digits(region.group()):
            continue
        run = _Run()
        gap = 0  # separators since the last group; -1 right after a group
        for token in _TOKEN.finditer(classes, region.start(), region.end()):
            kind = token.lastgroup
            if kind == "gap":
                gap = max(gap, 0) + token.group().count(_SEPARATOR)
                continue
            if kind != "group":  # an X: glued to a group it may be an ID's check character
                if gap == -1:
                    run.x_at = token.start()
                if run.starts:
                    yield run
                run, gap = _Run(), 0
                continue
            if gap > _MAX_SEPARATORS and run.starts:
                yield run
                run = _Run()
            body = token.group()
            start = token.start()
            digits = body.replace(_IGNORED, "")
            if _MULTI in digits:
                digits = "".join(
                    _digits_of(
                        unicodedata.normalize("NFKC", decoded.get(start + k, text[start + k]))
                    )
                    if cls == _MULTI
                    else cls
                    for k, cls in enumerate(body)
                    if cls != _IGNORED
                )
            run.starts.append(start)
            run.ends.append(start + len(body.rstrip(_IGNORED)) - 1)
            run.digits.append(digits[: _MAX_DIGITS + 1])
            run.lengths.append(len(digits))
            gap = -1
        if run.starts:
            yield run


_MIN_DIGITS = min(_CANDIDATE_LENGTHS)
_NOT_DIGIT_CLASSES = (_SEPARATOR, _IGNORED, _OTHER, _CHECK_X)


def _too_few_digits(classes: str) -> bool:
    """True when the class string cannot hold an identifier: fewer digits than the shortest.

    Every identifier is a run of at least 11 digits, and every digit of a run is one digit
    class character, except a `_MULTI` character ("⑩"), which stands for several; so a class
    string without one and with fewer than 11 digit classes holds none. Most scanned strings
    (references, labels, short narratives) fail this test in a few C-level passes, and the
    tokenising scan below, a few microseconds of Python per string, runs only on the rest.
    """
    if _MULTI in classes:
        return False
    if len(classes) < _MIN_DIGITS:  # one class character per character: not even counted
        return True
    return len(classes) - sum(map(classes.count, _NOT_DIGIT_CLASSES)) < _MIN_DIGITS


def _find(text: str, json_escapes: bool) -> Iterator[tuple[int, int, Kind]]:
    """(start, end exclusive, kind) of every personal identifier in `text`, left to right."""
    if len(text) < _MIN_DIGITS and text.isascii():  # ASCII: at most one digit a character
        return
    classes, decoded = _class_view(text, json_escapes)
    if _too_few_digits(classes):
        return
    for run in _runs(classes, text, decoded):
        for start, last, kind in run.matches():
            end = last + 1
            while end < len(classes) and classes[end] == _IGNORED:  # escape tails, ZWSPs
                end += 1
            yield start, end, kind


def personal_identifier_in(text: str) -> str | None:
    """Name the kind of personal identifier found in `text`, or None when it looks clean.

    Full-width digits typed with a Chinese input method (１３８…, Ｘ), separators and
    invisible characters between digit groups are all seen through (see the module docstring).
    """
    for _, _, kind in _find(text, json_escapes=False):
        return _DESCRIPTIONS[kind]
    return None


def refuse_personal_identifiers(text: str) -> str:
    """Pydantic after-validator: pass text through or explain what must be removed."""
    found = personal_identifier_in(text)
    if found:
        raise ValueError(
            f"text contains what looks like {found}; reports must not identify patients — "
            "remove it and resend"
        )
    return text


def redact_text(text: str) -> tuple[str, int]:
    """`text` with every personal identifier replaced by a marker, and how many were replaced.

    Markers name the kind ("[redacted:resident_id]", "[redacted:mobile]") so a reader of a log
    or dead letter knows what was there without seeing it. Digits written as JSON escapes
    ("\\u0031") are decoded for the scan, since logs and dead letters quote raw JSON.
    """
    pieces: list[str] = []
    last = 0
    for start, end, kind in _find(text, json_escapes=True):
        pieces.append(text[last:start])
        pieces.append(_MARKERS[kind])
        last = end
    if not pieces:
        return text, 0
    pieces.append(text[last:])
    return "".join(pieces), (len(pieces) - 1) // 2


def redact_bytes(data: bytes) -> tuple[bytes, int]:
    """`redact_text` on arbitrary bytes; bytes that are not UTF-8 survive unchanged.

    Undecodable bytes become lone surrogates (surrogateescape), which are neither digits nor
    separators, and are turned back into the same bytes on the way out.
    """
    text = data.decode("utf-8", errors="surrogateescape")
    redacted, count = redact_text(text)
    if count == 0:
        return data, 0
    return redacted.encode("utf-8", errors="surrogateescape"), count
