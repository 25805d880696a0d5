"""What a push says, in the device's language.

A table rather than gettext catalogues: a handful of strings, chosen per
device (not per request), and no compiled .mo files to ship.
"""

from __future__ import annotations

from dataclasses import dataclass

FALLBACK_LANGUAGE = "en"

_GOAL_REACHED = {
    "en": ("Daily goal reached!", "You walked {steps} steps and reached your goal of {goal}."),
    "ko": ("일일 목표 달성!", "{steps}걸음을 걸어 목표 {goal}걸음을 달성했어요."),
}


@dataclass(frozen=True)
class PushText:
    title: str
    body: str


def language_of(locale: str) -> str:
    """'ko-KR', 'ko_KR' and 'KO' are Korean; a language we do not write is English."""
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in _GOAL_REACHED else FALLBACK_LANGUAGE


def goal_reached_text(*, locale: str, steps: int, goal: int) -> PushText:
    title, body = _GOAL_REACHED[language_of(locale)]
    return PushText(title=title, body=body.format(steps=f"{steps:,}", goal=f"{goal:,}"))
