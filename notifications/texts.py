"""What a push says, and in which language.

The language follows the one rule of ``infrastructure.i18n``, with the
device's locale in the place of a browser's ``Accept-Language``: the user's
``language`` setting, else the device's language, else English. A push is
written per device, long after any request, so each text renders under
``translation.override``; the words live in the site's one catalogue
(``locale/ko/LC_MESSAGES/django.po``) like every other string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from infrastructure.i18n import choose_language

FALLBACK_LANGUAGE = "en"

# (title, body) per kind; the placeholders are filled after translation.
_TEXTS = {
    "goal_reached": (
        _("Daily goal reached!"),
        _("You walked %(steps)s steps and reached your goal of %(goal)s."),
    ),
    "streak_at_risk": (
        _("Keep your streak going"),
        _("%(streak)s days in a row so far: %(left)s more steps today keeps it alive."),
    ),
    "challenge_started": (
        _("%(challenge)s starts today"),
        _("Your challenge is on: every step from today counts."),
    ),
    "challenge_overtaken": (
        _("Overtaken in %(challenge)s"),
        _("%(rival)s just passed you. Time for a walk?"),
    ),
    "challenge_final": (
        _("%(challenge)s: final results"),
        _("You finished %(place)s of %(count)s."),
    ),
}
# A group target's final push: no places, one total.
_FINAL_TOGETHER = (
    _("%(challenge)s: final results"),
    _("Together you walked %(total)s steps of %(target)s."),
)


@dataclass(frozen=True)
class PushText:
    title: str
    body: str


def language_of(locale: str, setting: str = "") -> str:
    """The user's setting if any, else the locale's language: 'ko-KR', 'ko_KR'
    and 'KO' are Korean; a language we do not write is English."""
    return choose_language(setting=setting, accept_language=locale.replace("_", "-"))


def goal_reached_text(*, locale: str, steps: int, goal: int, language: str = "") -> PushText:
    return text_for(kind="goal_reached", locale=locale, steps=steps, goal=goal, language=language)


def _ordinal(place: int) -> str:
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix}"


def text_for(
    *,
    kind: str,
    locale: str,
    language: str = "",
    steps: int = 0,
    goal: int = 0,
    data: dict[str, Any] | None = None,
) -> PushText:
    """Any push's text for a device with this ``locale``, for a user whose
    ``language`` setting is given ("" follows the device); ``data`` holds what
    the kind names (challenge, rival, place, count, streak, left, total, target)."""
    chosen = language_of(locale, language)
    values: dict[str, Any] = {
        key: f"{value:,}" if isinstance(value, int) else value for key, value in (data or {}).items()
    }
    title, body = _TEXTS[kind]
    if kind == "goal_reached":
        values = {"steps": f"{steps:,}", "goal": f"{goal:,}"}
    elif kind == "challenge_final":
        if "place" in values:
            place = int(str(values["place"]).replace(",", ""))
            values["place"] = _ordinal(place) if chosen == "en" else str(place)
        else:
            title, body = _FINAL_TOGETHER
    with translation.override(chosen):
        return PushText(title=str(title) % values, body=str(body) % values)
