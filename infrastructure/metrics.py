"""Our own Prometheus metrics, served at /metrics beside django-prometheus's
request counts and latencies (by view, method and status).

Import the one you need and count where the thing happens, after it has
happened (after the commit for writes)::

    from infrastructure import metrics

    metrics.SYNCS.labels(via="rest").inc()
    metrics.STEP_RECORDS_STORED.inc(len(samples))
    metrics.SOCKET_CONNECTIONS.labels(kind="live").inc()   # once accepted; .dec() when it closes

Every metric of ours is defined here and nowhere else, so this page is the
whole list an operator can alert on.

Each app node (process) exports its own values; Prometheus scrapes every node
and sums. Counters only go up: ask Prometheus for ``rate(...)``. The alert
rules in deploy/prometheus/alerts.yml use these names, and a test checks that
every name they use is exported, so rename both together.
"""

from prometheus_client import Counter, Gauge

SYNCS = Counter(
    "pedometer_syncs",
    "Step syncs stored (one per accepted REST request or socket message, after the commit).",
    ["via"],  # rest | socket
)
STEP_RECORDS_STORED = Counter(
    "pedometer_step_records_stored",
    "Step records (one per day or hour sample) written by syncs, after the commit.",
)
SOCKET_CONNECTIONS = Gauge(
    "pedometer_socket_connections",
    "WebSockets open on this node now, by kind (steps, live, rankings, challenges): counted once accepted.",
    ["kind"],
    multiprocess_mode="livesum",
)
LIVE_BROADCAST_FAILURES = Counter(
    "pedometer_live_broadcast_failures",
    "Step events that could not be handed to the channel layer (Redis down or slow).",
)
BOARD_FEED_NOTE_FAILURES = Counter(
    "pedometer_board_feed_note_failures",
    "Board changes that could not be noted (Redis down or slow).",
)
BOARD_FEED_PUBLISH_FAILURES = Counter(
    "pedometer_board_feed_publish_failures",
    "Board feed ticks that failed.",
)
NOTIFICATIONS_SENT = Counter(
    "pedometer_notifications_sent",
    "Push notifications FCM accepted.",
)
NOTIFICATIONS_FAILED = Counter(
    "pedometer_notifications_failed",
    "Push notifications that failed (FCM refused them or could not be reached), retries included.",
)
RANKING_FALLBACKS = Counter(
    "pedometer_ranking_fallbacks",
    "Leaderboard reads answered from SQL because the Redis index could not answer.",
)
REPLICA_FALLBACKS = Counter(
    "pedometer_replica_fallbacks",
    "Reads meant for the read replica that went to the primary because the replica was unreachable.",
)
DATABASE_UNAVAILABLE = Counter(
    "pedometer_database_unavailable",
    "Requests answered 503 because the database primary could not be reached.",
)
DATABASE_RETRIES = Counter(
    "pedometer_database_retries",
    "Transactions (reason connection, conflict) and whole requests (reason request) run again after a lost "
    "connection or a conflict (deadlock, Galera certification).",
    ["reason"],
)
DATABASE_BUSY = Counter(
    "pedometer_database_busy",
    "Requests answered 503 because their transaction kept conflicting (deadlock, certification, lock wait).",
)
DEPENDENCY_UP = Gauge(
    "pedometer_dependency_up",
    "1 when the last readiness check reached the dependency, 0 when it did not.",
    ["dependency"],
    multiprocess_mode="liveall",
)

# Every labelled series exists from the start at 0: an alert on ``rate(...) == 0``
# sees no series at all, and never fires, until a label has been counted once.
for _via in ("rest", "socket"):
    SYNCS.labels(via=_via)
for _kind in ("steps", "live", "rankings", "challenges"):
    SOCKET_CONNECTIONS.labels(kind=_kind)
for _reason in ("connection", "conflict", "request"):
    DATABASE_RETRIES.labels(reason=_reason)
