"""The interface in French and Spanish: complete catalogues whose placeholders match the
English, compiled as the app loads them, chosen by the user's setting or the browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from opsplanner.config import Config
from opsplanner.extensions import db
from tests.conftest import csrf_token, signed_in

TRANSLATIONS = Path(__file__).resolve().parents[1] / "opsplanner" / "translations"
LANGUAGES = [code for code in Config.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdfr]|%[sd]|\{[a-z_]+\}|</?[a-zA-Z][^>]*>")


def catalogue(code: str):
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def translation(code: str, msgid: str) -> str:
    text = catalogue(code)[msgid].string
    assert text, (code, msgid)
    return text


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(code):
    entries = [m for m in catalogue(code) if m.id]
    assert len(entries) > 1000
    for m in entries:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings), f"{code}: not translated: {ids[0]!r}"
        if len(ids) == 1:  # a plural form may leave the count out of the singular
            assert sorted(PLACEHOLDER.findall(strings[0])) == sorted(PLACEHOLDER.findall(ids[0])), (
                f"{code}: placeholders differ in {ids[0]!r}"
            )


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_compiled_catalogue_is_the_source(code):
    mo = TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo"
    assert mo.is_file(), "run `make install` (it compiles the catalogues)"
    with mo.open("rb") as fh:
        compiled = read_mo(fh)
    source = catalogue(code)
    assert compiled["Operations"].string == source["Operations"].string


def test_the_browser_language_is_used_before_sign_in(app):
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert translation("es", "Sign in") in page.get_data(as_text=True)
    assert '<html lang="es"' in page.get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "de-DE"})
    assert "Sign in" in english.get_data(as_text=True)


def test_a_user_chooses_the_language_of_the_interface(app, users, operation):
    client = signed_in(app, "fp_tha@test.example")
    token = csrf_token(client, "/account/")
    saved = client.post("/account/language", data={"csrf_token": token, "language-locale": "fr"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert users["fp_tha"].locale == "fr"
    page = client.get("/operations/").get_data(as_text=True)
    assert translation("fr", "Operations") in page
    assert '<html lang="fr"' in page
    # the setting wins over the browser's
    page = client.get("/operations/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert translation("fr", "Operations") in page
    # an unknown language is refused; the browser's choice clears the setting
    bad = client.post("/account/language", data={"csrf_token": token, "language-locale": "xx"})
    assert bad.status_code == 302
    db.session.expire_all()
    assert users["fp_tha"].locale == "fr"
    client.post("/account/language", data={"csrf_token": token, "language-locale": ""})
    db.session.expire_all()
    assert users["fp_tha"].locale is None


def test_no_message_hides_in_an_f_string():
    """Babel does not read gettext calls inside f-strings: such a message would never reach
    the catalogues and would stay English in every language."""
    hidden = re.compile(r"""\bf(["'])[^\n]*?\{_l?\(""")
    found = [
        f"{path.relative_to(TRANSLATIONS.parent)}:{n}"
        for path in sorted(TRANSLATIONS.parent.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if hidden.search(line)
    ]
    assert found == []
