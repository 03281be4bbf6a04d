"""The dashboard's frame: sign-in with a token, the session cookie on the API, CSRF, languages.

The pages' data come from the API's own endpoints (tested elsewhere, scope included); here:
who gets in, what the cookie may do, and that both catalogues say everything the pages say.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.api.dashboard import i18n, routes
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account, disable_account

FORM = {"content-type": "application/x-www-form-urlencoded"}
DASHBOARD = Path(routes.__file__).parent


def _token(db: sessionmaker[Session], region: str = "140100") -> tuple[str, str]:
    issued = add_account(
        SqlAccountStorage(db),
        NewAccount(f"regulator {region}", Role.REGULATOR, region=region),
        by="cli:test",
        at=datetime.now(UTC),
    )
    return issued.token, issued.account.account_id


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def _signed_in(app: FastAPI, db: sessionmaker[Session], region: str = "140100") -> TestClient:
    """A client signed in to the dashboard as a regulator of `region`."""
    client = _client(app)
    token, _ = _token(db, region)
    _sign_in(client, token)
    return client


def _sign_in(client: TestClient, token: str) -> None:
    response = client.post("/dashboard/login", content=f"token={token}", headers=FORM,
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"


def test_pages_need_a_session_and_send_the_browser_to_sign_in(app: FastAPI) -> None:
    response = _client(app).get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"


def test_a_valid_token_signs_in_and_the_header_names_the_scope(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    client = _client(app)
    token, _ = _token(db)
    _sign_in(client, token)
    session = client.cookies.get("recall_session")
    assert session == token
    page = client.get("/dashboard?lang=zh_CN")
    assert page.status_code == 200
    assert "监管部门 · 140100" in page.text
    assert "<h1>总览" in page.text


def test_the_session_cookie_is_httponly_and_strict(app: FastAPI, db: sessionmaker[Session]) -> None:
    token, _ = _token(db)
    response = _client(app).post(
        "/dashboard/login", content=f"token={token}", headers=FORM, follow_redirects=False
    )
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("recall_session="))
    csrf = next(c for c in cookies if c.startswith("recall_csrf="))
    assert "HttpOnly" in session
    assert "SameSite=strict" in session
    assert "HttpOnly" not in csrf  # the page's script must read it to echo it


@pytest.mark.parametrize("token", ["rt1_nope_nope", "not-a-token", ""])
def test_a_bad_token_is_refused_with_the_reason_in_the_page(app: FastAPI, token: str) -> None:
    response = _client(app).post("/dashboard/login?lang=en", content=f"token={token}", headers=FORM)
    assert response.status_code in (400, 401)
    assert 'role="alert"' in response.text
    assert "recall_session" not in response.headers.get("set-cookie", "")


def test_a_form_that_is_not_the_login_forms_is_a_400_not_a_500(app: FastAPI) -> None:
    """The form has one field; `parse_qs` raised for more than four (the API sweep's find)."""
    body = "a=1&b=2&c=3&d=4&token=rt1_nope_nope"
    response = _client(app).post("/dashboard/login?lang=en", content=body, headers=FORM)
    assert response.status_code == 400
    assert 'role="alert"' in response.text


def test_a_disabled_account_loses_the_dashboard_at_once(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    client = _client(app)
    token, account_id = _token(db)
    _sign_in(client, token)
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
    disable_account(SqlAccountStorage(db), account_id, by="cli:test", at=datetime.now(UTC))
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    assert client.get("/investigations").status_code == 401


def test_the_cookie_reads_the_api_but_a_change_needs_the_csrf_echo(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    client = _signed_in(app, db)
    assert client.get("/investigations").status_code == 200
    refused = client.post("/investigations/inv-1/assign", json={})
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/csrf"
    wrong = client.post("/investigations/inv-1/assign", json={}, headers={"x-csrf-token": "x"})
    assert wrong.status_code == 403
    echoed = client.post(
        "/investigations/inv-1/assign",
        json={},
        headers={"x-csrf-token": client.cookies["recall_csrf"]},
    )
    assert echoed.status_code == 404  # authenticated: the investigation does not exist


def test_sign_out_forgets_the_session(app: FastAPI, db: sessionmaker[Session]) -> None:
    client = _signed_in(app, db)
    out = client.post("/dashboard/logout", follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_language_switch_is_remembered(app: FastAPI, db: sessionmaker[Session]) -> None:
    client = _signed_in(app, db)
    english = client.get("/dashboard?lang=en")
    assert '<html lang="en">' in english.text
    assert "<h1>Overview" in english.text
    again = client.get("/dashboard")
    assert "<h1>Overview" in again.text
    chinese = client.get("/dashboard?lang=zh_CN")
    assert '<html lang="zh-CN">' in chinese.text


def test_accept_language_chooses_when_nothing_else_does() -> None:
    assert i18n.choose(None, None, "en-GB,en;q=0.9") == "en"
    assert i18n.choose(None, None, "fr-FR, zh-TW;q=0.5") == "zh_CN"
    assert i18n.choose(None, None, None) == "zh_CN"
    assert i18n.choose("en", "zh_CN", "zh") == "en"
    assert i18n.choose("xx", "en", None) == "en"


def test_pages_send_a_strict_content_security_policy(app: FastAPI) -> None:
    policy = _client(app).get("/dashboard/login").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy


def test_every_string_the_pages_show_is_translated_in_chinese() -> None:
    """Templates' `_()` strings and the scripts' JS_MESSAGES all have a Chinese translation."""
    used = set(routes.JS_MESSAGES) | {title for _, title in routes.PAGES}
    for template in (DASHBOARD / "templates").glob("*.html"):
        used |= set(re.findall(r"""_\(\s*"([^"]+)"\s*\)""", template.read_text("utf-8")))
        used |= set(re.findall(r"""_\(\s*'([^']+)'\s*\)""", template.read_text("utf-8")))
    chinese = {m.id: m.string for m in i18n.catalogue("zh_CN") if m.id}
    missing = sorted(m for m in used if not chinese.get(m))
    assert not missing, f"untranslated in zh_CN: {missing}"
    assert len(used) > 40


def test_numbers_and_dates_are_formatted_per_language() -> None:
    moment = datetime(2026, 3, 2, 1, 15, tzinfo=UTC)
    assert i18n.language("en").number(1234567) == "1,234,567"
    assert i18n.language("zh_CN").number(1234567) == "1,234,567"
    assert i18n.language("en").percent(0.256) == "25.6%"
    assert "2026" in i18n.language("zh_CN").when(moment)
    assert "09:15" in i18n.language("zh_CN").when(moment)  # China time
    assert "Mar" in i18n.language("en").when(moment)


def test_the_chart_library_is_served_from_the_install_not_a_cdn(app: FastAPI) -> None:
    response = _client(app).get("/dashboard/vendor/echarts.min.js")
    if not routes.ECHARTS.is_file():
        assert response.status_code == 503
        assert "make setup" in response.text
        return
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert b"echarts" in response.content[:4096].lower()


def test_the_investigation_pages_need_a_session(app: FastAPI) -> None:
    client = _client(app)
    for path in ("/dashboard/investigations", "/dashboard/investigations/inv-1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/dashboard/login"


def test_an_investigation_id_in_the_address_is_text_never_markup(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    client = _signed_in(app, db)
    page = client.get('/dashboard/investigations/x"><img src=x onerror=alert(1)>')
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert 'data-id="x&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page.text
    too_long = client.get("/dashboard/investigations/" + "x" * 65)
    assert too_long.status_code == 404


def test_the_navigation_lists_only_pages_that_exist(
    app: FastAPI, db: sessionmaker[Session]
) -> None:
    client = _signed_in(app, db)
    page = client.get("/dashboard?lang=en").text
    links = re.findall(r'<li><a href="(/dashboard[^"]*)"', page)
    built = [slug for slug, _ in routes.PAGES]
    assert links == [f"/dashboard{'' if slug == 'overview' else '/' + slug}" for slug in built]
    assert links[:1] == ["/dashboard"] and "/dashboard/investigations" in links
    for link in links:
        assert client.get(link).status_code == 200


def test_every_string_the_scripts_translate_is_sent_with_the_page() -> None:
    """A `t("…")` in a script that is not in JS_MESSAGES shows in English on a Chinese page."""
    used: set[str] = set()
    for script in (DASHBOARD / "static").glob("*.js"):
        used |= set(re.findall(r"""\bt\("([^"]+)"\)""", script.read_text("utf-8")))
    assert used, "no t(...) call found: the pattern no longer matches the scripts"
    missing = sorted(used - set(routes.JS_MESSAGES))
    assert not missing, f"add to JS_MESSAGES: {missing}"


def test_a_message_is_translated_in_one_catalogue_file_only() -> None:
    """Two pages' `.po` files giving one string two translations: which one shows is luck."""
    for language in i18n.LANGUAGES:
        seen: dict[str, str] = {}
        for path in sorted((DASHBOARD / "locale" / language / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as source:
                for message in read_po(source):
                    key = str(message.id)
                    if key:
                        assert key not in seen, (
                            f"{key!r} in {path.name} and {seen[key]} ({language})"
                        )
                        seen[key] = path.name
        assert seen
