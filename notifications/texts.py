"""What a push says, in the device's language.

A table rather than gettext catalogues: a handful of strings, chosen per
device (not per request), and no compiled .mo files to ship.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FALLBACK_LANGUAGE = "en"

_GOAL_REACHED = {
    "en": ("Daily goal reached!", "You walked {steps} steps and reached your goal of {goal}."),
    "ko": ("일일 목표 달성!", "{steps}걸음을 걸어 목표 {goal}걸음을 달성했어요."),
}
_STREAK_AT_RISK = {
    "en": ("Keep your streak going", "{streak} days in a row so far: {left} more steps today keeps it alive."),
    "ko": ("연속 기록을 지켜요", "{streak}일 연속 달성 중이에요. 오늘 {left}걸음만 더 걸으면 이어가요."),
}
_CHALLENGE_STARTED = {
    "en": ("{challenge} starts today", "Your challenge is on: every step from today counts."),
    "ko": ("오늘 {challenge} 시작", "챌린지가 시작됐어요. 오늘부터 모든 걸음이 기록돼요."),
}
_CHALLENGE_OVERTAKEN = {
    "en": ("Overtaken in {challenge}", "{rival} just passed you. Time for a walk?"),
    "ko": ("{challenge}에서 추월당했어요", "{rival}님이 방금 앞질렀어요. 걸으러 가볼까요?"),
}
_CHALLENGE_FINAL = {
    "en": ("{challenge}: final results", "You finished {place} of {count}."),
    "ko": ("{challenge} 최종 결과", "{count}명 중 {place}위로 마쳤어요."),
}
_CHALLENGE_FINAL_TOGETHER = {
    "en": ("{challenge}: final results", "Together you walked {total} steps of {target}."),
    "ko": ("{challenge} 최종 결과", "함께 목표 {target}걸음 중 {total}걸음을 걸었어요."),
}
_TABLES = {
    "goal_reached": _GOAL_REACHED,
    "streak_at_risk": _STREAK_AT_RISK,
    "challenge_started": _CHALLENGE_STARTED,
    "challenge_overtaken": _CHALLENGE_OVERTAKEN,
    "challenge_final": _CHALLENGE_FINAL,
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


def _ordinal(place: int) -> str:
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix}"


def text_for(*, kind: str, locale: str, steps: int = 0, goal: int = 0, data: dict[str, Any] | None = None) -> PushText:
    """Any push's text; ``data`` holds what the kind names (challenge, rival, place, count, streak, left)."""
    if kind == "goal_reached":
        return goal_reached_text(locale=locale, steps=steps, goal=goal)
    language = language_of(locale)
    values = {key: f"{value:,}" if isinstance(value, int) else value for key, value in (data or {}).items()}
    table = _TABLES[kind]
    if kind == "challenge_final":
        if "place" in values:
            place = int(str(values["place"]).replace(",", ""))
            values["place"] = _ordinal(place) if language == "en" else str(place)
        else:
            table = _CHALLENGE_FINAL_TOGETHER
    title, body = table[language]
    return PushText(title=title.format(**values), body=body.format(**values))
