"""Django's MySQL/MariaDB backend, minus one connection per request.

Under ASGI every request runs its sync code in a thread of its own, so it
gets a fresh ``DatabaseWrapper``; Django's wrapper then opens a *second,
temporary* connection just to read the server's version and modes
(``mysql_server_data``) before it can set up the real one. Those facts
belong to the server, not the connection: this backend reads them once per
process and server, so a request opens one connection instead of two.
"""

from __future__ import annotations

import threading

from django.db.backends.mysql import base
from django.utils.functional import cached_property

_server_data: dict[tuple[str, str, str], dict] = {}
_lock = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    @cached_property
    def mysql_server_data(self) -> dict:
        server = (str(self.settings_dict["HOST"]), str(self.settings_dict["PORT"]), str(self.settings_dict["USER"]))
        data = _server_data.get(server)
        if data is None:
            data = base.DatabaseWrapper.mysql_server_data.func(self)
            with _lock:
                _server_data[server] = data
        return data
