#!/usr/bin/env bash
# Makes sure MariaDB and Redis answer on 127.0.0.1:3306 / :6379. Where they
# do not, installs them from Debian's packages (needs root) and starts them.
# Test machines only: root gets an empty password over TCP.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  echo "services: nothing answers on 127.0.0.1:$1" >&2
  return 1
}

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "services: please install and start: $*" >&2
    exit 1
  fi
  if [ -z "${_apt_updated:-}" ]; then apt-get update -qq; _apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! port_open 3306; then
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  echo "services: starting MariaDB" >&2
  nohup /usr/sbin/mariadbd --user=mysql >/tmp/pedometer-mariadb.log 2>&1 &
  wait_port 3306
  mariadb -uroot -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;" \
    2>/dev/null || true
fi

if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "services: starting Redis" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_port 6379
fi
