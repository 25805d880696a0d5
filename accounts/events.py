"""What accounts tell the apps above it, without importing them.

An app that reacts to a change of an account registers a handler here from
its ``AppConfig.ready()``; accounts' services (and admin) publish. Handlers
run in registration order, inside the caller's transaction: one that must
wait for the commit (a broadcast, a Redis write) uses
``transaction.on_commit`` itself, and one that needs the rows before they
go (the user's days, before a deletion) reads them at once.

Events and their keyword arguments:

- ``VISIBILITY_CHANGED``: ``user``, ``before``, ``after`` (``Visibility`` values).
- ``USER_REMOVED``: ``user`` (still in the database: deleted or deactivated
  once the transaction commits).
- ``FRIENDSHIP_ENDED``: ``users`` (the two people; no longer friends).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

VISIBILITY_CHANGED = "visibility_changed"
USER_REMOVED = "user_removed"
FRIENDSHIP_ENDED = "friendship_ended"
EVENTS = (VISIBILITY_CHANGED, USER_REMOVED, FRIENDSHIP_ENDED)

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = {event: [] for event in EVENTS}


def subscribe(event: str, handler: Handler) -> None:
    """Adds ``handler`` for ``event`` (once, however often ``ready()`` runs)."""
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def handlers(event: str) -> list[Handler]:
    return list(_handlers[event])


def publish(event: str, **payload: object) -> None:
    """Calls every handler of ``event`` in order. A failing handler is logged and
    skipped: the account change stands, and the others still hear of it."""
    for handler in _handlers[event]:
        try:
            handler(**payload)
        except Exception:
            logger.exception("accounts event %s: handler %s failed", event, getattr(handler, "__qualname__", handler))
