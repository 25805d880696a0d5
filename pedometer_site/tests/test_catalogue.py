"""The Korean catalogue is complete and the build compiled the current one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[dict]:
    """The catalogue's entries: flags, msgid and every msgstr, as read from the file."""
    entries = []
    for block in text.strip().split("\n\n"):
        entry: dict = {"flags": set(), "fields": {}, "obsolete": False}
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith('"'):
                entry["fields"][key] += ast.literal_eval(line)
            elif match := re.match(r"^(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt) (\".*\")$", line):
                key = match.group(1)
                entry["fields"][key] = ast.literal_eval(match.group(2))
        entries.append(entry)
    return entries


def test_every_string_has_a_korean_translation_and_none_is_fuzzy():
    entries = [entry for entry in _entries(CATALOGUE.read_text(encoding="utf-8")) if entry["fields"].get("msgid")]
    assert len(entries) > 200
    untranslated = [
        entry["fields"]["msgid"]
        for entry in entries
        if not all(value for key, value in entry["fields"].items() if key.startswith("msgstr"))
    ]
    fuzzy = [entry["fields"]["msgid"] for entry in entries if "fuzzy" in entry["flags"]]
    obsolete = [entry["fields"].get("msgid") for entry in entries if entry["obsolete"]]
    assert untranslated == []
    assert fuzzy == []
    assert obsolete == []


def test_placeholders_survive_translation():
    for entry in _entries(CATALOGUE.read_text(encoding="utf-8")):
        source = entry["fields"].get("msgid")
        if not source:
            continue
        wanted = sorted(re.findall(r"%\(\w+\)[sd]|\{\w+(?:!r)?\}", source))
        for key, value in entry["fields"].items():
            if key.startswith("msgstr"):
                assert sorted(re.findall(r"%\(\w+\)[sd]|\{\w+(?:!r)?\}", value)) == wanted, source


def test_the_compiled_catalogue_is_current():
    """make catalogues (run, test, test-dates, the image) compiles it; a stale or missing .mo fails here."""
    compiled = CATALOGUE.with_suffix(".mo")
    assert compiled.is_file(), "run `make catalogues`"
    assert compiled.stat().st_mtime >= CATALOGUE.stat().st_mtime, "run `make catalogues`: the .mo is older"
    with translation.override("ko"):
        assert translation.gettext("Daily goal reached!") == "일일 목표 달성!"
        assert translation.gettext("Invalid input in: %(fields)s.") == "입력이 올바르지 않은 항목: %(fields)s."


def test_the_site_languages_are_the_ones_a_user_may_choose():
    from accounts.models import Language

    assert [code for code, _name in settings.LANGUAGES] == list(Language.values)


def test_every_app_model_and_field_name_the_admin_shows_is_korean():
    from django.apps import apps

    from pedometer_site.apps import OUR_APPS

    names = []
    for label in OUR_APPS:
        config = apps.get_app_config(label)
        names.append(config.verbose_name)
        for model in config.get_models():
            names += [model._meta.verbose_name, model._meta.verbose_name_plural]
            fields = [field for field in model._meta.get_fields() if field.concrete and not field.auto_created]
            names += [field.verbose_name for field in fields]
    with translation.override("en"):
        english = [str(name) for name in names]
    with translation.override("ko"):
        korean = [str(name) for name in names]
    # UUID and Firebase uid read the same in Korean; everything else must differ.
    untranslated = {en for en, ko in zip(english, korean, strict=True) if en == ko} - {"Firebase uid"}
    assert untranslated == set(), "add them to pedometer_site/model_names.py, then make messages"


@pytest.mark.django_db
def test_translated_names_need_no_migration():
    import io

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())
