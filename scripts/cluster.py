"""The high-availability topology on loopback, and the controls to break it.

    python -m scripts.cluster up | down | status     (make cluster / make cluster-down)

    HAProxy :8300 (stats :8304)  health checks GET /readyz every 500 ms
      -> 3 app nodes (uvicorn)   :8301 :8302 :8303
           -> HAProxy for MariaDB  :3310 writes (one Synced node at a time, no failback)
                                   :3311 lag-tolerant reads (any Synced node)
                -> Galera cluster  :3320 :3321 :3322  (synchronous: a commit is on every node)
           -> Redis master :6390, replica :6391, Sentinels :26390 :26391 :26392
                                   cache, throttles, channel layer, task broker, board index
      Celery worker              same database and broker

Every part runs as our own child process, with its data, logs and pid files
under ``var/cluster/`` (git-ignored); nothing touches the MariaDB and Redis
on the default ports. Missing Debian packages (haproxy, mariadb-server,
galera-4, rsync, redis-server, redis-sentinel) are installed when running as root.

The chaos test drives it from Python::

    from scripts.cluster import Cluster

    cluster = Cluster()
    cluster.up()
    cluster.kill_node(1)          # SIGKILL
    cluster.start_node(1)
    cluster.term_node(2)          # SIGTERM: graceful
    cluster.kill_db_primary()     # SIGKILL the Galera node taking the writes; returns n
    cluster.start_db(n)           # it rejoins (IST after --wsrep-recover)
    cluster.kill_redis_master()   # SIGKILL the master the Sentinels name; returns n
    cluster.start_redis(n)        # it comes back as a replica of the new master
    cluster.backend_states()      # {"node1": "UP", ...} as HAProxy sees them
    cluster.db_backend_states()   # {"db1": "UP", "db2": "UP", ...}
    cluster.down()
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
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
MONITOR_USER = "monitor"
MONITOR_PASSWORD = "monitor"  # noqa: S105 - loopback-only test cluster
SENTINEL_MASTER = "mymaster"
RETRY_AFTER = 5
GALERA_PROVIDER = "/usr/lib/galera/libgalera_smm.so"
# How fast the survivors give up on a member that stopped answering (defaults:
# keepalive PT1S, suspect PT5S, inactive PT15S, install PT7.5S, join
# retransmission PT1S). With the defaults writes stalled ~6 s after a SIGKILL
# (RECIPES); measured here, 2026-12-01, three kills each under a write loop
# through HAProxy: suspect PT2S 3.1-3.4 s, + join_retrans PT0.3S 2.8-3.0 s,
# suspect PT1.5S + join_retrans PT0.3S 2.2-2.3 s (these). A suspect needs three
# missed keepalives. Set here, in the file: lowering them at runtime on a busy
# 2-core machine split the cluster into non-Primary halves (RECIPES).
GALERA_TIMEOUTS = (
    "evs.keepalive_period=PT0.5S",
    "evs.inactive_check_period=PT0.5S",
    "evs.suspect_timeout=PT1.5S",
    "evs.inactive_timeout=PT3S",
    "evs.install_timeout=PT3S",
    "evs.join_retrans_period=PT0.3S",
)


class ClusterError(RuntimeError):
    pass


@dataclass(frozen=True)
class Ports:
    lb: int = 8300
    nodes: tuple[int, ...] = (8301, 8302, 8303)
    stats: int = 8304
    db: int = 3310  # HAProxy: the one writer
    db_read: int = 3311  # HAProxy: any Synced node
    galera: tuple[int, ...] = (3320, 3321, 3322)  # each node's client port
    gcomm: tuple[int, ...] = (4567, 4577, 4587)  # group communication
    ist: tuple[int, ...] = (4568, 4578, 4588)  # incremental state transfer
    sst: tuple[int, ...] = (4444, 4454, 4464)  # full state transfer (rsync)
    redis: tuple[int, ...] = (6390, 6391)  # the first starts as master
    sentinels: tuple[int, ...] = (26390, 26391, 26392)

    def all(self) -> list[int]:
        ports = [self.lb, *self.nodes, self.stats, self.db, self.db_read, *self.galera, *self.gcomm]
        return [*ports, *self.ist, *self.sst, *self.redis, *self.sentinels]

    @classmethod
    def count(cls) -> int:
        return len(cls().all())

    @classmethod
    def from_list(cls, ports: list[int]) -> Ports:
        """Ports in the order of ``all()`` (e.g. free ones a test found)."""
        it = iter(ports)

        def take(k: int) -> tuple[int, ...]:
            return tuple(next(it) for _ in range(k))

        lb, nodes, stats, db, db_read = next(it), take(3), next(it), next(it), next(it)
        galera, gcomm, ist, sst, redis, sentinels = take(3), take(3), take(3), take(3), take(2), take(3)
        return cls(lb, nodes, stats, db, db_read, galera, gcomm, ist, sst, redis, sentinels)


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
    """Installs HAProxy, MariaDB with Galera, rsync (its state transfer) and
    Redis with Sentinel from Debian when they are missing."""
    wanted = {
        "haproxy": "haproxy",
        "mariadbd": "mariadb-server",
        "mariadb": "mariadb-client",
        "rsync": "rsync",
        "redis-server": "redis-server",
        "redis-sentinel": "redis-sentinel",
    }
    missing = [pkg for cmd, pkg in wanted.items() if not shutil.which(cmd) and not Path(f"/usr/sbin/{cmd}").exists()]
    if not Path(GALERA_PROVIDER).exists():
        missing.append("galera-4")
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

    def urls(self) -> dict[str, str]:
        urls = {"load balancer": self.lb_url, "HAProxy stats": self.stats_url}
        urls.update({f"node{n}": self.node_url(n) for n in range(1, len(self.ports.nodes) + 1)})
        urls["database (writes)"] = self.db_url()
        urls["database (reads)"] = self.db_url(read=True)
        urls.update({f"galera db{n}": f"127.0.0.1:{port}" for n, port in enumerate(self.ports.galera, start=1)})
        urls.update({f"redis{n}": f"redis://127.0.0.1:{port}" for n, port in enumerate(self.ports.redis, start=1)})
        urls["sentinels"] = f"{self.sentinels_env} (master name {SENTINEL_MASTER})"
        return urls

    # --- the whole topology -------------------------------------------------

    def _say(self, message: str) -> None:
        if not self.quiet:
            print(f"cluster: {message}", file=sys.stderr, flush=True)

    def up(self) -> float:
        """Starts every part that is not running; returns the seconds it took."""
        started = time.monotonic()
        ensure_packages()
        for path in (self.run_dir, self.log_dir):
            path.mkdir(parents=True, exist_ok=True)
        self._check_ports_free()
        self._say("starting Redis, its replica and three Sentinels")
        self._start_redis_group()
        self._say(f"starting three Galera nodes ({time.monotonic() - started:.1f}s)")
        self._start_galera()
        self.start_dbproxy()
        self.wait_db_writable()
        self._say(f"migrating ({time.monotonic() - started:.1f}s)")
        self._manage("migrate", "--no-input", "-v0")
        if self.collectstatic:
            self._say(f"collecting static files ({time.monotonic() - started:.1f}s)")
            self._manage("collectstatic", "--no-input", "-v0")
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
        for n in self.sentinel_numbers:
            self._stop(f"sentinel{n}", signal.SIGTERM, timeout=10)
        for n in self.redis_numbers:
            self.stop_redis(n)
        self.stop_dbproxy()
        # One at a time: the last to leave is marked safe to found the next cluster.
        for n in self.db_numbers:
            self.stop_db(n)

    def running(self) -> dict[str, bool]:
        names = ["haproxy", *[f"node{n}" for n in range(1, len(self.ports.nodes) + 1)], "worker", "dbproxy"]
        names += [f"db{n}" for n in self.db_numbers]
        names += [f"redis{n}" for n in self.redis_numbers] + [f"sentinel{n}" for n in self.sentinel_numbers]
        return {name: self._pid(name) is not None for name in names}

    def _check_ports_free(self) -> None:
        busy = [port for port in self.ports.all() if port_open(port) and not self._owns_port(port)]
        if busy:
            raise ClusterError(f"ports in use by something else: {busy} (another cluster? `make cluster-down`)")

    def _owns_port(self, port: int) -> bool:
        owners = {self.ports.lb: "haproxy", self.ports.stats: "haproxy"}
        owners |= {self.ports.db: "dbproxy", self.ports.db_read: "dbproxy"}
        owners |= {p: f"node{n}" for n, p in enumerate(self.ports.nodes, start=1)}
        for n in self.db_numbers:
            owners |= {ports[n - 1]: f"db{n}" for ports in (self.ports.galera, self.ports.gcomm, self.ports.ist)}
            owners[self.ports.sst[n - 1]] = f"db{n}"
        owners |= {p: f"redis{n}" for n, p in enumerate(self.ports.redis, start=1)}
        owners |= {p: f"sentinel{n}" for n, p in enumerate(self.ports.sentinels, start=1)}
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

    def _kill(self, name: str) -> None:
        """SIGKILL, and wait until it is gone."""
        pid = self._signal(name, signal.SIGKILL)
        if pid is not None:
            wait_for(lambda: not self._alive(name, pid), 5, f"{name} to die")
            (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
            self._children.pop(name, None)

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

    # --- MariaDB Galera: three nodes, every acknowledged write on all of them ---

    def _db_dir(self, n: int) -> Path:
        return self.base_dir / f"db{n}"

    def _db_socket(self, n: int) -> Path:
        return self._db_dir(n) / "mysqld.sock"

    def _db_config(self, n: int) -> Path:
        d = self._db_dir(n)
        i = n - 1
        members = ",".join(f"127.0.0.1:{port}" for port in self.ports.gcomm)
        provider_options = ";".join(
            [
                f"gmcast.listen_addr=tcp://127.0.0.1:{self.ports.gcomm[i]}",
                f"ist.recv_addr=127.0.0.1:{self.ports.ist[i]}",
                "gcache.size=64M",
                # A SIGKILLed member stops answering; the others stall every
                # commit until they agree it is gone. The default (PT5S) alone
                # is over the 5 s budget for writes to resume (see GALERA_TIMEOUTS).
                *GALERA_TIMEOUTS,
            ]
        )
        lines = [
            "[mariadbd]",
            f"datadir={d / 'data'}",
            f"port={self.ports.galera[i]}",
            "bind-address=127.0.0.1",
            f"socket={self._db_socket(n)}",
            f"pid-file={d / 'mysqld.pid'}",
            f"log-error={self.log_dir / f'db{n}.err'}",
            "skip-name-resolve",
            "innodb-buffer-pool-size=64M",
            "innodb-log-file-size=16M",
            # The cluster, not the local disk, makes a commit durable: it is on
            # every node before the client hears OK.
            "innodb-flush-log-at-trx-commit=2",
            "performance-schema=OFF",
            "max-connections=300",
            "character-set-server=utf8mb4",
            "collation-server=utf8mb4_unicode_ci",
            "binlog-format=ROW",
            "default-storage-engine=InnoDB",
            "innodb-autoinc-lock-mode=2",
            "wsrep-on=ON",
            f"wsrep-provider={GALERA_PROVIDER}",
            "wsrep-cluster-name=pedometer",
            f"wsrep-cluster-address=gcomm://{members}",
            f"wsrep-node-address=127.0.0.1:{self.ports.gcomm[i]}",
            f"wsrep-node-name=db{n}",
            "wsrep-sst-method=rsync",
            f"wsrep-sst-receive-address=127.0.0.1:{self.ports.sst[i]}",
            f'wsrep-provider-options="{provider_options}"',
        ]
        d.mkdir(parents=True, exist_ok=True)
        path = d / "my.cnf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def _db_user(self) -> list[str]:
        # As root, the servers run as Debian's mysql user: rsync's state
        # transfer runs its daemon as the data directory's owner.
        return ["--user=mysql"] if os.geteuid() == 0 else []

    def _own_db_files(self, n: int) -> None:
        if os.geteuid() != 0:
            return
        import pwd

        mysql = pwd.getpwnam("mysql")
        for path in (self._db_dir(n), self.log_dir):
            os.chown(path, mysql.pw_uid, mysql.pw_gid)
        for path in self._db_dir(n).rglob("*"):
            os.chown(path, mysql.pw_uid, mysql.pw_gid, follow_symlinks=False)

    def _install_db(self, n: int) -> None:
        data = self._db_dir(n) / "data"
        if (data / "mysql").exists():
            return
        self._db_config(n)
        self._own_db_files(n)
        subprocess.run(  # noqa: S603
            [
                _binary("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={data}",
                *self._db_user(),
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _recovered_position(self, n: int) -> str | None:
        """After a crash (grastate.dat says seqno -1), asks InnoDB where this
        node stopped, so it rejoins by IST (the writes it missed) instead of
        a full SST (a copy of everything)."""
        grastate = self._db_dir(n) / "data" / "grastate.dat"
        try:
            text = grastate.read_text()
        except OSError:
            return None
        if "seqno:   -1" not in text and "seqno: -1" not in text:
            return None
        log = self.log_dir / f"db{n}.recover.log"
        log.unlink(missing_ok=True)
        config = self._db_config(n)
        subprocess.run(  # noqa: S603
            [
                _binary("mariadbd"),
                f"--defaults-file={config}",
                *self._db_user(),
                "--wsrep-recover",
                f"--log-error={log}",
            ],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
        found = re.findall(r"WSREP: Recovered position: (\S+:-?\d+)", log.read_text(errors="replace"))
        return found[-1] if found else None

    def start_db(self, n: int, *, new_cluster: bool = False, wait: bool = True) -> None:
        """Starts node ``n``; it joins the others (IST after a crash) unless it founds a new cluster."""
        name = f"db{n}"
        if self._pid(name) is not None:
            return
        self._install_db(n)
        config = self._db_config(n)
        args = [_binary("mariadbd"), f"--defaults-file={config}", *self._db_user()]
        if new_cluster:
            args.append("--wsrep-new-cluster")
        elif position := self._recovered_position(n):
            args.append(f"--wsrep-start-position={position}")
        self._spawn(name, args)
        if wait:
            self.wait_db_synced(n)

    def wait_db_synced(self, n: int, timeout: float = 120) -> float:
        return wait_for(lambda: self.db_state(n) == "Synced", timeout, f"db{n} Synced", interval=0.2)

    def db_state(self, n: int) -> str | None:
        """``wsrep_local_state_comment`` (Synced, Donor/Desynced, Joiner, ...), None when it does not answer."""
        if self._pid(f"db{n}") is None:
            return None
        try:
            rows = self._sql(n, "SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'", timeout=1)
        except Exception:  # not up yet, or going down
            return None
        return rows[0][1] if rows else None

    def kill_db(self, n: int) -> None:
        """SIGKILL: the node vanishes mid-transaction, as in a crash."""
        self._kill(f"db{n}")

    def stop_db(self, n: int) -> None:
        self._stop(f"db{n}", signal.SIGTERM, timeout=60)

    def db_writer(self) -> int:
        """The node HAProxy sends writes to now (its one sticky server)."""
        table = self._haproxy_command("show table db", proxy="dbproxy")
        found = re.search(r"server_id=(\d+)", table)
        if found:
            return int(found.group(1))
        states = self.db_backend_states()
        return next(int(name[2:]) for name, state in states.items() if state.startswith("UP"))

    def kill_db_primary(self) -> int:
        """SIGKILLs the node that takes the writes; returns its number."""
        n = self.db_writer()
        self.kill_db(n)
        return n

    def _sql(self, n: int, *statements: str, timeout: int = 5) -> list[tuple]:
        """Runs statements as root over the node's unix socket."""
        import MySQLdb

        conn = MySQLdb.connect(unix_socket=str(self._db_socket(n)), user="root", connect_timeout=timeout)
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

    def _bootstrap_database(self, n: int) -> None:
        if self._sql(n, f"SHOW DATABASES LIKE '{DB_NAME}'"):
            return
        self._sql(
            n,
            f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            f"CREATE USER '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}'",
            f"GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'127.0.0.1'",
            # HAProxy's health check reads one status variable: no privileges at all.
            f"CREATE USER '{MONITOR_USER}'@'127.0.0.1' IDENTIFIED BY '{MONITOR_PASSWORD}'",
        )

    def _start_galera(self) -> None:
        """Three nodes: the first founds the cluster (or, after `down`, the one
        Galera marked safe to bootstrap), the others join it."""
        running = [n for n in self.db_numbers if self._pid(f"db{n}") is not None]
        if running:
            for n in self.db_numbers:
                self.start_db(n, wait=False)
        else:
            founder = self._founder()
            self.start_db(founder, new_cluster=True)
            self._bootstrap_database(founder)
            for n in self.db_numbers:
                if n != founder:
                    self.start_db(n, wait=False)
        for n in self.db_numbers:
            self.wait_db_synced(n)

    def _founder(self) -> int:
        for n in self.db_numbers:
            grastate = self._db_dir(n) / "data" / "grastate.dat"
            if grastate.exists() and "safe_to_bootstrap: 1" in grastate.read_text():
                return n
        for n in self.db_numbers:
            grastate = self._db_dir(n) / "data" / "grastate.dat"
            if grastate.exists():
                # Nobody shut down last cleanly: force the first (a loopback toy; a
                # real cluster would compare recovered seqnos).
                grastate.write_text(grastate.read_text().replace("safe_to_bootstrap: 0", "safe_to_bootstrap: 1"))
                return n
        return 1

    @property
    def db_numbers(self) -> range:
        return range(1, len(self.ports.galera) + 1)

    # --- HAProxy in front of Galera: one writer at a time, no failback ----------

    def _galera_check_script(self) -> Path:
        path = self.run_dir / "galera-check.sh"
        path.write_text(
            "#!/bin/sh\n"
            "# HAProxy external check ($3 address, $4 port): in service only while the\n"
            "# node is Synced (wsrep_local_state 4): not joining, not a donor, in the Primary component.\n"
            f'state=$({_binary("mariadb")} --no-defaults --protocol=tcp -h "$3" -P "$4" '
            f"-u {MONITOR_USER} -p{MONITOR_PASSWORD} --connect-timeout=1 -N -s "
            "-e \"SHOW GLOBAL STATUS LIKE 'wsrep_local_state'\" 2>/dev/null | cut -f2)\n"
            '[ "$state" = 4 ]\n'
        )
        path.chmod(0o755)
        return path

    def dbproxy_config(self) -> str:
        check = self._galera_check_script()
        # Checked every 500 ms (250 ms while changing), out after 2 failures,
        # and then every connection to it is cut, so no client keeps writing
        # to a node that left. "backup" + one sticky entry: one writer at a
        # time, and when the first node comes back the writes stay where they
        # are (a failback would be a second, needless switch).
        default_server = "inter 500ms fastinter 250ms downinter 1s fall 2 rise 2 on-marked-down shutdown-sessions"
        writers = "\n".join(
            f"    server db{n} 127.0.0.1:{port} id {n} check{' backup' if n > 1 else ''}"
            for n, port in enumerate(self.ports.galera, start=1)
        )
        readers = "\n".join(
            f"    server db{n} 127.0.0.1:{port} id {n} check" for n, port in enumerate(self.ports.galera, start=1)
        )
        external = f"""    option external-check
    external-check path "/usr/bin:/bin"
    external-check command {check}
    default-server {default_server}"""
        return f"""global
    maxconn 4096
    stats socket {self.run_dir / "dbproxy.sock"} mode 600 level admin
    insecure-fork-wanted
    external-check

defaults
    mode tcp
    timeout connect 1s
    timeout client 30m
    timeout server 30m
    timeout check 2s
    retries 2
    option redispatch

# Writes (DATABASE_URL): one node at a time.
listen db
    bind 127.0.0.1:{self.ports.db}
    stick-table type integer size 1
    stick on int(1)
{external}
{writers}

# Lag-tolerant reads (DATABASE_REPLICA_URL): any Synced node.
listen db_read
    bind 127.0.0.1:{self.ports.db_read}
    balance leastconn
{external}
{readers}
"""

    def start_dbproxy(self) -> None:
        if self._pid("dbproxy") is not None:
            return
        config = self.run_dir / "dbproxy.cfg"
        config.write_text(self.dbproxy_config())
        subprocess.run([_binary("haproxy"), "-c", "-q", "-f", str(config)], check=True)  # noqa: S603
        self._spawn("dbproxy", [_binary("haproxy"), "-db", "-f", str(config)])
        wait_for(
            lambda: port_open(self.ports.db) and (self.run_dir / "dbproxy.sock").exists(),
            10,
            "HAProxy for the database and its socket",
        )

    def stop_dbproxy(self) -> None:
        self._stop("dbproxy", signal.SIGTERM, timeout=10)

    def db_backend_states(self, proxy: str = "db") -> dict[str, str]:
        return self._proxy_states(proxy, socket_name="dbproxy")

    def wait_db_writable(self, timeout: float = 30) -> float:
        return wait_for(
            lambda: any(state.startswith("UP") for state in self.db_backend_states().values()),
            timeout,
            "a database node UP in HAProxy",
        )

    def db_url(self, *, read: bool = False) -> str:
        port = self.ports.db_read if read else self.ports.db
        return f"mysql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{port}/{DB_NAME}"

    def db_connect(self, *, read: bool = False):
        """A client connection through HAProxy, as the app nodes make it."""
        import MySQLdb

        port = self.ports.db_read if read else self.ports.db
        return MySQLdb.connect(
            host="127.0.0.1", port=port, user=DB_USER, password=DB_PASSWORD, database=DB_NAME, connect_timeout=3
        )

    # --- Redis: a master, a replica, three Sentinels --------------------------------

    def _redis_args(self, n: int, *, replica_of: int | None) -> list[str]:
        args = [_binary("redis-server"), "--port", str(self.ports.redis[n - 1]), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.run_dir)]
        if replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        return args

    def start_redis(self, n: int) -> None:
        """Starts Redis ``n``: as a replica of the master the Sentinels name, if any."""
        if self._pid(f"redis{n}") is not None:
            return
        master = self.redis_master_port()
        own = self.ports.redis[n - 1]
        self._spawn(f"redis{n}", self._redis_args(n, replica_of=master if master not in (None, own) else None))
        wait_for(lambda: port_open(own), 10, f"Redis {n}")

    def kill_redis(self, n: int) -> None:
        self._kill(f"redis{n}")

    def stop_redis(self, n: int) -> None:
        self._stop(f"redis{n}", signal.SIGTERM, timeout=10)

    def redis_master_port(self) -> int | None:
        """The master's port as a majority of reachable Sentinels name it; None when none answers."""
        import redis

        for port in self.ports.sentinels:
            if not port_open(port):
                continue
            try:
                found = redis.Redis(port=port, socket_timeout=0.5).sentinel_get_master_addr_by_name(SENTINEL_MASTER)
            except redis.RedisError:
                continue
            if found:
                return int(found[1])
        return None

    def kill_redis_master(self) -> int:
        """SIGKILLs the Redis master the Sentinels name; returns its number."""
        port = self.redis_master_port()
        if port is None:
            raise ClusterError("no Sentinel names a master")
        n = self.ports.redis.index(port) + 1
        self.kill_redis(n)
        return n

    def redis_role(self, n: int) -> str | None:
        import redis

        try:
            return redis.Redis(port=self.ports.redis[n - 1], socket_timeout=0.5).info("replication")["role"]
        except redis.RedisError:
            return None

    def wait_redis_replica_in_sync(self, n: int, timeout: float = 30) -> float:
        import redis

        def in_sync() -> bool:
            try:
                info = redis.Redis(port=self.ports.redis[n - 1], socket_timeout=0.5).info("replication")
            except redis.RedisError:
                return False
            return info.get("role") == "slave" and info.get("master_link_status") == "up"

        return wait_for(in_sync, timeout, f"Redis {n} replicating", interval=0.2)

    def _sentinel_config(self, n: int, master_port: int) -> Path:
        path = self.run_dir / f"sentinel{n}.conf"
        path.write_text(
            "\n".join(
                [
                    f"port {self.ports.sentinels[n - 1]}",
                    "bind 127.0.0.1",
                    f"dir {self.run_dir}",
                    f"sentinel monitor {SENTINEL_MASTER} 127.0.0.1 {master_port} 2",
                    f"sentinel down-after-milliseconds {SENTINEL_MASTER} 1000",
                    f"sentinel failover-timeout {SENTINEL_MASTER} 5000",
                    f"sentinel parallel-syncs {SENTINEL_MASTER} 1",
                ]
            )
            + "\n"
        )
        return path

    def start_sentinel(self, n: int, master_port: int) -> None:
        if self._pid(f"sentinel{n}") is not None:
            return
        # Sentinel rewrites its file as it learns (replicas, peers, a new master).
        config = self._sentinel_config(n, master_port)
        self._spawn(f"sentinel{n}", [_binary("redis-server"), str(config), "--sentinel"])
        wait_for(lambda: port_open(self.ports.sentinels[n - 1]), 10, f"Sentinel {n}")

    def _start_redis_group(self) -> None:
        if any(self._pid(f"sentinel{n}") is not None for n in self.sentinel_numbers):
            # Part of a group that is running: join whatever master the Sentinels name.
            for n in self.redis_numbers:
                self.start_redis(n)
            master = self.redis_master_port()
            if master is None:
                raise ClusterError("Sentinels run but name no master: `make cluster-down`, then up")
            for n in self.sentinel_numbers:
                self.start_sentinel(n, master)
            return
        # A fresh group: Redis 1 is the master (nothing is persisted, so nothing is lost).
        master = self.ports.redis[0]
        if self._pid("redis1") is None:
            self._spawn("redis1", self._redis_args(1, replica_of=None))
        wait_for(lambda: port_open(master), 10, "Redis 1")
        for n in self.redis_numbers[1:]:
            if self._pid(f"redis{n}") is None:
                self._spawn(f"redis{n}", self._redis_args(n, replica_of=master))
        for n in self.sentinel_numbers:
            self.start_sentinel(n, master)
        for n in self.redis_numbers[1:]:
            self.wait_redis_replica_in_sync(n)
        self.wait_sentinels_agree()

    def wait_sentinels_agree(self, timeout: float = 30) -> float:
        """Until every Sentinel knows the others and the replicas (so it can vote a failover)."""
        import redis

        peers, replicas = len(self.ports.sentinels) - 1, len(self.ports.redis) - 1

        def ready() -> bool:
            for port in self.ports.sentinels:
                try:
                    master = redis.Redis(port=port, socket_timeout=0.5).sentinel_master(SENTINEL_MASTER)
                except redis.RedisError:
                    return False
                if master.get("num-other-sentinels", 0) < peers or master.get("num-slaves", 0) < replicas:
                    return False
            return True

        return wait_for(ready, timeout, "the Sentinels to know each other and the replica", interval=0.2)

    @property
    def redis_numbers(self) -> range:
        return range(1, len(self.ports.redis) + 1)

    @property
    def sentinel_numbers(self) -> range:
        return range(1, len(self.ports.sentinels) + 1)

    @property
    def sentinels_env(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.ports.sentinels)

    # --- app nodes and worker ------------------------------------------------------

    def app_env(self) -> dict[str, str]:
        secret_file = self.base_dir / "secret_key"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(50))
        keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
        return {
            **keep,
            "DJANGO_SETTINGS_MODULE": "pedometer_site.settings",
            "DATABASE_URL": self.db_url(),
            "DATABASE_REPLICA_URL": self.db_url(read=True),
            "REDIS_SENTINELS": self.sentinels_env,
            "REDIS_SENTINEL_MASTER": SENTINEL_MASTER,
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
        args += ["--ws-per-message-deflate", "false"]  # as the image does (see its entrypoint)
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
        self._kill(f"node{n}")

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
        # HAProxy opens its listeners before it renames its stats socket into
        # place (haproxy.sock.<pid>.tmp): wait for both.
        wait_for(
            lambda: port_open(self.ports.lb) and (self.run_dir / "haproxy.sock").exists(), 10, "HAProxy and its socket"
        )

    def stop_haproxy(self) -> None:
        self._stop("haproxy", signal.SIGTERM, timeout=10)

    def _haproxy_command(self, command: str, *, proxy: str = "haproxy") -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            sock.connect(str(self.run_dir / f"{proxy}.sock"))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def backend_states(self) -> dict[str, str]:
        """HAProxy's view of each node: "UP", "DOWN", "UP 1/2" (going down)..."""
        return self._proxy_states("app", socket_name="haproxy")

    def _proxy_states(self, backend: str, *, socket_name: str) -> dict[str, str]:
        text = self._haproxy_command("show stat", proxy=socket_name).lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        skip = {"BACKEND", "FRONTEND"}
        return {row["svname"]: row["status"] for row in rows if row["pxname"] == backend and row["svname"] not in skip}

    def wait_backends_up(self, timeout: float = 30) -> float:
        expected = len(self.ports.nodes)

        def all_up() -> bool:
            try:
                return list(self.backend_states().values()).count("UP") == expected
            except OSError:  # the stats socket is not there yet, or HAProxy is reloading
                return False

        return wait_for(all_up, timeout, "every node UP in HAProxy")


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
        if cluster.running()["dbproxy"]:
            print("  database HAProxy sees:", cluster.db_backend_states(), "writer: db", cluster.db_writer(), sep="")
        print("  Galera:", {f"db{n}": cluster.db_state(n) for n in cluster.db_numbers})
        print("  Redis master (Sentinels):", cluster.redis_master_port())
    else:
        print("usage: python -m scripts.cluster up|down|status", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
