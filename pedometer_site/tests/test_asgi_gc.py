"""The socket server's cyclic collector: short-lived objects (a request's, a
fan-out's) do not survive into the generation whose collections walk every
open socket's objects."""

from __future__ import annotations

import gc


def test_what_a_burst_of_work_holds_for_a_moment_is_freed_without_a_collection():
    import pedometer_site.asgi  # noqa: F401 - the server's settings of the collector

    collections: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        held = [{"row": n, "cells": [n]} for n in range(7_500)]  # 15,000 containers, alive together
        del held
    finally:
        gc.callbacks.remove(count)
    assert collections == []
