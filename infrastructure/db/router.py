"""Writes go to the primary; reads go to the read replica only where
``infrastructure.db.replica`` says they may (explicit scope, nothing written yet
in this request, replica reachable)."""

from __future__ import annotations

from . import replica


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        return replica.alias_for_read()

    def db_for_write(self, model, **hints) -> str:
        # From the first write on, this request reads its own writes.
        replica.pin_to_primary()
        return replica.PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # Both aliases hold the same rows.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        # The replica gets its schema by replication, never by migrate.
        return False if db == replica.REPLICA else None
