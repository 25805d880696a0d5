"""The high-availability topology on loopback, and the controls to break it.

    python -m scripts.cluster up | down | status     (make cluster / make cluster-down)

    HAProxy :8300 (stats :8304)  health checks GET /readyz every 500 ms
      -> 3 app nodes (uvicorn)   :8301 :8302 :8303
           -> MariaDB primary    :3310   --GTID replication-->  replica :3311 (read-only)
           -> Redis              :6390   cache, throttles, channel layer, task broker
      Celery worker              same database and broker

Every part runs as our own child process, with its data, logs and pid files
under ``var/cluster/`` (git-ignored); nothing touches the MariaDB and Redis
on the default ports. Missing Debian packages (haproxy, mariadb-server,
redis-server) are installed when running as root.

The chaos test drives it from Python::

    from scripts.cluster import Cluster

    cluster = Cluster()
    cluster.up()
    cluster.kill_node(1)          # SIGKILL
    cluster.start_node(1)
    cluster.term_node(2)          # SIGTERM: graceful
    cluster.stop_redis(); cluster.start_redis()
    cluster.stop_replica(); cluster.start_replica()
    cluster.restart_primary()
    cluster.backend_states()      # {"node1": "UP", ...} as HAProxy sees them
    cluster.down()
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "pedometer"
DB_USER = "pedometer"
DB_PASSWORD = "pedometer"  # noqa: S105 - loopback-only test cluster
REPL_USER = "repl"
REPL_PASSWORD = "repl"  # noqa: S105 - loopback-only test cluster
RETRY_AFTER = 5


class ClusterError(RuntimeError):
    pass


@dataclass(frozen=True)
class Ports:
    lb: int = 8300
    nodes: tuple[int, ...] = (8301, 8302, 8303)
    stats: int = 8304
    primary: int = 3310
    replica: int = 3311
    redis: int = 6390

    def all(self) -> list[int]:
        return [self.lb, *self.nodes, self.stats, self.primary, self.replica, self.redis]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05) -> float:
    """Polls until predicate() is true; returns the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise ClusterError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
    return time.monotonic() - started


def ensure_packages() -> None:
    """Installs haproxy, MariaDB and Redis from Debian when they are missing."""
    wanted = {"haproxy": "haproxy", "mariadbd": "mariadb-server", "redis-server": "redis-server"}
    missing = [pkg for cmd, pkg in wanted.items() if not shutil.which(cmd) and not Path(f"/usr/sbin/{cmd}").exists()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ClusterError(f"please install: {' '.join(missing)}")
    print(f"cluster: installing {' '.join(missing)} from Debian", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)  # noqa: S603, S607


def _start_time(pid: int) -> int | None:
    """Clock ticks after boot at which the process started (stable, unlike its title)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _binary(name: str) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if not found:
        raise ClusterError(f"{name} not found")
    return found


@dataclass
class Cluster:
    base_dir: Path = ROOT / "var" / "cluster"
    ports: Ports = field(default_factory=Ports)
    python: str = str(ROOT / ".venv" / "bin" / "python")
    worker: bool = True
    collectstatic: bool = True
    quiet: bool = False
    # Extra environment for the app nodes and the worker (e.g. THROTTLE_* for a test's load).
    env: dict[str, str] = field(default_factory=dict)
    _children: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)

    # --- where things are -------------------------------------------------

    @property
    def run_dir(self) -> Path:
        return self.base_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.base_dir / "log"

    @property
    def lb_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.lb}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.stats}/"

    def node_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.ports.nodes[n - 1]}"

    def database_url(self, *, replica: bool = False) -> str:
        port = self.ports.replica if replica else self.ports.primary
        return f"mysql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{port}/{DB_NAME}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    def urls(self) -> dict[str, str]:
        urls = {"load balancer": self.lb_url, "HAProxy stats": self.stats_url}
        urls.update({f"node{n}": self.node_url(n) for n in range(1, len(self.ports.nodes) + 1)})
        urls["primary"] = self.database_url()
        urls["replica"] = self.database_url(replica=True)
        urls["redis"] = self.redis_url
        return urls

    # --- the whole topology -------------------------------------------------

    def _say(self, message: str) -> None:
        if not self.quiet:
            print(f"cluster: {message}", file=sys.stderr, flush=True)

    def up(self) -> float:
        """Starts every part that is not running; returns the seconds it took."""
        started = time.monotonic()
        self._say("starting MariaDB primary and replica, Redis")
        ensure_packages()
        for path in (self.run_dir, self.log_dir):
            path.mkdir(parents=True, exist_ok=True)
        self._check_ports_free()
        self.start_primary()
        self._bootstrap_primary()
        self.start_replica()
        self._bootstrap_replica()
        self.start_redis()
        self._say(f"migrating ({time.monotonic() - started:.1f}s)")
        self._manage("migrate", "--no-input", "-v0")
        if self.collectstatic:
            self._say(f"collecting static files ({time.monotonic() - started:.1f}s)")
            self._manage("collectstatic", "--no-input", "-v0")
        self.wait_for_replica()
        self._say(f"starting app nodes and worker ({time.monotonic() - started:.1f}s)")
        shutil.rmtree(self.base_dir / "metrics", ignore_errors=True)
        for n in range(1, len(self.ports.nodes) + 1):
            self.start_node(n, wait=False)
        if self.worker:
            self.start_worker()
        for n in range(1, len(self.ports.nodes) + 1):
            self._wait_node(n)
        self._say(f"starting HAProxy ({time.monotonic() - started:.1f}s)")
        self.start_haproxy()
        self.wait_backends_up()
        return time.monotonic() - started

    def down(self) -> None:
        """Stops everything this cluster started (by the pids it recorded)."""
        self.stop_haproxy()
        for n in range(1, len(self.ports.nodes) + 1):
            self._stop(f"node{n}", signal.SIGTERM, timeout=25)
        self.stop_worker()
        self.stop_redis()
        self.stop_replica()
        self.stop_primary()

    def running(self) -> dict[str, bool]:
        names = ["haproxy", *[f"node{n}" for n in range(1, len(self.ports.nodes) + 1)]]
        names += ["worker", "redis", "primary", "replica"]
        return {name: self._pid(name) is not None for name in names}

    def _check_ports_free(self) -> None:
        busy = [port for port in self.ports.all() if port_open(port) and not self._owns_port(port)]
        if busy:
            raise ClusterError(f"ports in use by something else: {busy} (another cluster? `make cluster-down`)")

    def _owns_port(self, port: int) -> bool:
        owners = {self.ports.lb: "haproxy", self.ports.stats: "haproxy", self.ports.primary: "primary"}
        owners |= {self.ports.replica: "replica", self.ports.redis: "redis"}
        owners |= {p: f"node{n}" for n, p in enumerate(self.ports.nodes, start=1)}
        return self._pid(owners[port]) is not None

    # --- processes: started detached, tracked by pid file -------------------

    def _spawn(self, name: str, args: list[str], *, env: dict[str, str] | None = None) -> subprocess.Popen:
        if self._pid(name) is not None:
            raise ClusterError(f"{name} is already running")
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
        process = subprocess.Popen(  # noqa: S603
            args,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        # The start time tells our process from a later one that reused the pid.
        record = {"pid": process.pid, "started": _start_time(process.pid)}
        (self.run_dir / f"{name}.pid").write_text(json.dumps(record))
        self._children[name] = process
        return process

    def _pid(self, name: str) -> int | None:
        path = self.run_dir / f"{name}.pid"
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        pid = record["pid"]
        if not self._alive(name, pid):
            path.unlink(missing_ok=True)
            return None
        if _start_time(pid) != record["started"]:
            path.unlink(missing_ok=True)  # the pid now belongs to someone else
            return None
        return pid

    def _alive(self, name: str, pid: int) -> bool:
        child = self._children.get(name)
        if child is not None and child.pid == pid:
            return child.poll() is None
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state != "Z"

    def _signal(self, name: str, signum: int) -> int | None:
        pid = self._pid(name)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        return pid

    def _stop(self, name: str, signum: int = signal.SIGTERM, *, timeout: float = 20) -> None:
        pid = self._signal(name, signum)
        if pid is None:
            return
        try:
            wait_for(lambda: not self._alive(name, pid), timeout, f"{name} to stop")
        except ClusterError:
            # Its whole session (a worker's pool children too): we started it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            wait_for(lambda: not self._alive(name, pid), 5, f"{name} to die")
        (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
        self._children.pop(name, None)

    # --- MariaDB primary and replica ------------------------------------------

    def _db_dir(self, role: str) -> Path:
        return self.base_dir / role

    def _db_config(self, role: str) -> Path:
        d = self._db_dir(role)
        port = self.ports.primary if role == "primary" else self.ports.replica
        lines = [
            "[mariadbd]",
            f"datadir={d / 'data'}",
            f"port={port}",
            "bind-address=127.0.0.1",
            f"socket={d / 'mysqld.sock'}",
            f"pid-file={d / 'mysqld.pid'}",
            f"log-error={self.log_dir / (role + '.err')}",
            f"server-id={1 if role == 'primary' else 2}",
            "log-bin=mysql-bin",
            "binlog-format=ROW",
            "log-slave-updates",
            "gtid-strict-mode=1",
            "skip-name-resolve",
            "innodb-buffer-pool-size=64M",
            "innodb-log-file-size=16M",
            "performance-schema=OFF",
            "max-connections=300",
            "character-set-server=utf8mb4",
            "collation-server=utf8mb4_unicode_ci",
            # A replica notices a vanished primary within seconds, then retries every second.
            "slave-net-timeout=5",
        ]
        if role == "replica":
            lines += ["read-only=1", "relay-log=relay-bin"]
        d.mkdir(parents=True, exist_ok=True)
        path = d / "my.cnf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def _start_db(self, role: str) -> None:
        if self._pid(role) is not None:
            return
        config = self._db_config(role)
        data = self._db_dir(role) / "data"
        user = ["--user=root"] if os.geteuid() == 0 else []
        if not (data / "mysql").exists():
            subprocess.run(  # noqa: S603
                [
                    _binary("mariadb-install-db"),
                    f"--defaults-file={config}",
                    *user,
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        self._spawn(role, [_binary("mariadbd"), f"--defaults-file={config}", *user])
        port = self.ports.primary if role == "primary" else self.ports.replica
        wait_for(lambda: port_open(port), 30, f"MariaDB {role} on :{port}")

    def _sql(self, role: str, *statements: str) -> list[tuple]:
        """Runs statements as root over the instance's unix socket."""
        import MySQLdb

        conn = MySQLdb.connect(unix_socket=str(self._db_dir(role) / "mysqld.sock"), user="root", connect_timeout=5)
        try:
            rows: list[tuple] = []
            cursor = conn.cursor()
            for statement in statements:
                cursor.execute(statement)
                rows = list(cursor.fetchall())
            conn.commit()
            return rows
        finally:
            conn.close()

    def _sql_dict(self, role: str, statement: str) -> dict | None:
        import MySQLdb.cursors

        conn = MySQLdb.connect(unix_socket=str(self._db_dir(role) / "mysqld.sock"), user="root", connect_timeout=5)
        try:
            cursor = conn.cursor(MySQLdb.cursors.DictCursor)
            cursor.execute(statement)
            return cursor.fetchone()
        finally:
            conn.close()

    def _bootstrap_primary(self) -> None:
        if self._sql("primary", f"SHOW DATABASES LIKE '{DB_NAME}'"):
            return
        self._sql(
            "primary",
            # A fresh binlog: the replica starts from the same empty server, so
            # it needs nothing from before (and gtid-strict-mode stays happy).
            "RESET MASTER",
            f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            f"CREATE USER '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}'",
            f"GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'127.0.0.1'",
            f"CREATE USER '{REPL_USER}'@'127.0.0.1' IDENTIFIED BY '{REPL_PASSWORD}'",
            f"GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'127.0.0.1'",
        )

    def _bootstrap_replica(self) -> None:
        if self._sql_dict("replica", "SHOW SLAVE STATUS"):
            return  # configured before; replication restarts with the server
        self._sql(
            "replica",
            "RESET MASTER",
            "SET GLOBAL gtid_slave_pos = ''",
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={self.ports.primary}, "
            f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{REPL_PASSWORD}', "
            "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
            "START SLAVE",
        )

    def wait_for_replica(self, timeout: float = 30) -> None:
        """Until the replica has applied everything the primary has written."""
        position = self._sql("primary", "SELECT @@gtid_binlog_pos")[0][0]
        result = self._sql("replica", f"SELECT MASTER_GTID_WAIT('{position}', {timeout})")[0][0]
        if result != 0:
            raise ClusterError(f"replica did not reach {position} within {timeout}s")

    def replication_status(self) -> dict:
        status = self._sql_dict("replica", "SHOW SLAVE STATUS") or {}
        keys = ("Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master", "Gtid_IO_Pos", "Last_Error")
        return {key: status.get(key) for key in keys}

    def start_primary(self) -> None:
        self._start_db("primary")

    def stop_primary(self) -> None:
        self._stop("primary", signal.SIGTERM, timeout=60)

    def restart_primary(self) -> None:
        self.stop_primary()
        self.start_primary()

    def start_replica(self) -> None:
        self._start_db("replica")

    def stop_replica(self) -> None:
        self._stop("replica", signal.SIGTERM, timeout=60)

    # --- Redis ------------------------------------------------------------------

    def start_redis(self) -> None:
        if self._pid("redis") is not None:
            return
        args = [_binary("redis-server"), "--port", str(self.ports.redis), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.run_dir)]
        self._spawn("redis", args)
        wait_for(lambda: port_open(self.ports.redis), 10, "Redis")

    def stop_redis(self) -> None:
        self._stop("redis", signal.SIGTERM, timeout=10)

    # --- app nodes and worker ------------------------------------------------------

    def app_env(self) -> dict[str, str]:
        secret_file = self.base_dir / "secret_key"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(50))
        keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
        return {
            **keep,
            "DJANGO_SETTINGS_MODULE": "pedometer_site.settings",
            "DATABASE_URL": self.database_url(),
            "DATABASE_REPLICA_URL": self.database_url(replica=True),
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": secret_file.read_text().strip(),
            "DEBUG": "false",
            # Plain HTTP on loopback; in production TLS ends at the load balancer.
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "NUM_PROXIES": "1",
            "DB_CONNECT_TIMEOUT": "2",
            "LOG_LEVEL": "WARNING",
            **self.env,
        }

    def _manage(self, *args: str) -> None:
        subprocess.run([self.python, "manage.py", *args], cwd=ROOT, env=self.app_env(), check=True)  # noqa: S603

    def start_node(self, n: int, *, wait: bool = True) -> None:
        port = self.ports.nodes[n - 1]
        args = [self.python, "-m", "uvicorn", "pedometer_site.asgi:application", "--host", "127.0.0.1"]
        args += ["--port", str(port), "--lifespan", "off", "--no-access-log", "--ws-max-size", "65536"]
        # Below Kubernetes' default 30 s grace period, so a node always ends on its own.
        args += ["--timeout-graceful-shutdown", "20"]
        # Each node's counters live in files that outlast the process, as in a prefork pool:
        # after a kill and restart, /metrics still counts what the node did before (the chaos
        # test adds up pedometer_syncs_total over the nodes). Emptied when the cluster comes up.
        metrics_dir = self.metrics_dir(n)
        metrics_dir.mkdir(parents=True, exist_ok=True)
        self._spawn(f"node{n}", args, env={**self.app_env(), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
        if wait:
            self._wait_node(n)

    def metrics_dir(self, n: int) -> Path:
        return self.base_dir / "metrics" / f"node{n}"

    def _wait_node(self, n: int) -> None:
        wait_for(lambda: port_open(self.ports.nodes[n - 1]), 30, f"node{n}")

    def kill_node(self, n: int) -> None:
        """SIGKILL: the node vanishes mid-request, as in a crash."""
        pid = self._signal(f"node{n}", signal.SIGKILL)
        if pid is not None:
            wait_for(lambda: not self._alive(f"node{n}", pid), 5, f"node{n} to die")
            (self.run_dir / f"node{n}.pid").unlink(missing_ok=True)

    def term_node(self, n: int, *, wait: bool = True) -> None:
        """SIGTERM: a graceful stop (in-flight requests finish, sockets get 1012)."""
        if wait:
            self._stop(f"node{n}", signal.SIGTERM, timeout=25)
        else:
            self._signal(f"node{n}", signal.SIGTERM)

    def start_worker(self) -> None:
        args = [str(Path(self.python).parent / "celery"), "-A", "pedometer_site", "worker"]
        args += ["--concurrency", "1", "--loglevel", "INFO", "--hostname", f"worker@{self.base_dir.name}"]
        self._spawn("worker", args, env=self.app_env())

    def stop_worker(self) -> None:
        self._stop("worker", signal.SIGTERM, timeout=30)

    # --- HAProxy ---------------------------------------------------------------------

    def _error_file(self, status: int, reason: str, code: str, message: str) -> Path:
        body = json.dumps({"error": {"code": code, "message": message, "retry_after": RETRY_AFTER}})
        head = [
            f"HTTP/1.1 {status} {reason}",
            "Content-Type: application/json",
            "Cache-Control: no-cache",
            f"Retry-After: {RETRY_AFTER}",
            f"Content-Length: {len(body)}",
            "Connection: close",
        ]
        path = self.run_dir / f"{status}.http"
        path.write_text("\r\n".join(head) + "\r\n\r\n" + body)
        return path

    def haproxy_config(self) -> str:
        errors = {
            502: self._error_file(502, "Bad Gateway", "service_unavailable", "Please retry shortly."),
            503: self._error_file(503, "Service Unavailable", "service_unavailable", "Please retry shortly."),
            504: self._error_file(504, "Gateway Timeout", "service_unavailable", "Please retry shortly."),
        }
        # Checked every 500 ms, out after 2 failed checks; a refused connection
        # marks the node down at once (observe layer4). Open sockets are left
        # alone: a dead node's close by themselves, and a database outage that
        # fails every check should not also cut every live socket.
        default_server = (
            "inter 500ms fastinter 250ms downinter 1s fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down"
        )
        servers = "\n".join(
            f"    server node{n} 127.0.0.1:{port} check" for n, port in enumerate(self.ports.nodes, start=1)
        )
        return f"""global
    maxconn 4096
    stats socket {self.run_dir / "haproxy.sock"} mode 600 level admin

defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 30s
    timeout http-request 10s
    timeout tunnel 1h
    timeout check 2s
    option forwardfor
    # A request that could not reach a node (connection refused, or the node
    # died before answering) is retried on another node.
    retries 2
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    errorfile 502 {errors[502]}
    errorfile 503 {errors[503]}
    errorfile 504 {errors[504]}

frontend public
    bind 127.0.0.1:{self.ports.lb}
    # Prometheus scrapes each node directly; the public side does not show metrics.
    http-request deny deny_status 404 if {{ path /metrics }}
    default_backend app

backend app
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    # Replaying a request a node may have half-done is safe only for reads and
    # for syncs (max-wins: a repeat changes nothing).
    http-request disable-l7-retry if !METH_GET !{{ path /api/v1/steps/sync }}
    default-server {default_server}
{servers}

listen stats
    bind 127.0.0.1:{self.ports.stats}
    stats enable
    stats uri /
    stats refresh 2s
"""

    def start_haproxy(self) -> None:
        if self._pid("haproxy") is not None:
            return
        config = self.run_dir / "haproxy.cfg"
        config.write_text(self.haproxy_config())
        subprocess.run([_binary("haproxy"), "-c", "-q", "-f", str(config)], check=True)  # noqa: S603
        self._spawn("haproxy", [_binary("haproxy"), "-db", "-f", str(config)])
        wait_for(lambda: port_open(self.ports.lb), 10, "HAProxy")

    def stop_haproxy(self) -> None:
        self._stop("haproxy", signal.SIGTERM, timeout=10)

    def _haproxy_command(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            sock.connect(str(self.run_dir / "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def backend_states(self) -> dict[str, str]:
        """HAProxy's view of each node: "UP", "DOWN", "UP 1/2" (going down)..."""
        text = self._haproxy_command("show stat").lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {row["svname"]: row["status"] for row in rows if row["pxname"] == "app" and row["svname"] != "BACKEND"}

    def wait_backends_up(self, timeout: float = 30) -> float:
        expected = len(self.ports.nodes)
        return wait_for(
            lambda: list(self.backend_states().values()).count("UP") == expected, timeout, "every node UP in HAProxy"
        )


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    cluster = Cluster()
    if command == "up":
        seconds = cluster.up()
        print(f"cluster up in {seconds:.1f}s:")
        for name, url in cluster.urls().items():
            print(f"  {name:15} {url}")
        print(f"logs and data under {cluster.base_dir}; stop with `make cluster-down`")
    elif command == "down":
        cluster.down()
        print("cluster down")
    elif command == "status":
        for name, up in cluster.running().items():
            print(f"  {name:10} {'running' if up else 'stopped'}")
        if cluster.running()["haproxy"]:
            print("  HAProxy sees:", cluster.backend_states())
    else:
        print("usage: python -m scripts.cluster up|down|status", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
