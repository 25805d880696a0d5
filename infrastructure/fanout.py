"""An explicit, ordered list of handlers for one kind of event.

An app that owns a change (``steps`` for a day's total, ``accounts`` for a
deletion) publishes it here; the apps that react register a handler in their
``AppConfig.ready()``, so the owner never imports them and dependencies point
one way. Unlike Django's signals there is no sender filtering and no weak
reference: what is registered, and in which order, is a list a test can pin.

Two phases:

- ``IN_TRANSACTION`` handlers run inside the publisher's transaction, before
  it commits; they write rows that must commit (or roll back) with the change
  (the goal outbox row). An exception there fails the change.
- ``AFTER_COMMIT`` handlers run once the transaction commits, in registered
  order, each on its own (``on_commit(robust=True)``): one that fails is
  logged and never stops the next, nor the change that already committed.
  They talk to the world (Redis, the channel layer), which must never see a
  change that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from django.db import transaction

Event = TypeVar("Event")


class Phase(StrEnum):
    IN_TRANSACTION = "in_transaction"
    AFTER_COMMIT = "after_commit"


@dataclass(frozen=True)
class Registration(Generic[Event]):
    name: str
    phase: Phase
    handler: Callable[[Event], None]


class Fanout(Generic[Event]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._registrations: list[Registration[Event]] = []

    def register(self, name: str, handler: Callable[[Event], None], *, phase: Phase) -> None:
        """Adds ``handler`` after those already registered. ``name`` says who
        it is (``"<app>.<what>"``); registering a name twice is a mistake
        (``ready()`` running twice, or two apps claiming one name)."""
        if any(registration.name == name for registration in self._registrations):
            raise ValueError(f"{self.name}: a handler named {name!r} is registered already")
        self._registrations.append(Registration(name=name, phase=phase, handler=handler))

    def registered(self) -> list[tuple[str, Phase]]:
        """(name, phase) of every handler, in the order they run within a phase."""
        return [(registration.name, registration.phase) for registration in self._registrations]

    def publish(self, event: Event) -> None:
        """Call inside the transaction that made the change."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError(f"{self.name}: publish inside the transaction that made the change")
        for registration in self._registrations:
            if registration.phase is Phase.IN_TRANSACTION:
                registration.handler(event)
        for registration in self._registrations:
            if registration.phase is Phase.AFTER_COMMIT:
                transaction.on_commit(self._bound(registration, event), robust=True)

    def _bound(self, registration: Registration[Event], event: Event) -> Callable[[], None]:
        def run() -> None:
            registration.handler(event)

        # What Django's log names when a robust callback fails.
        run.__qualname__ = f"{self.name}:{registration.name}"
        return run
