#!/usr/bin/env bash
# npm run cluster:up / cluster:down — the scale-out ensemble on loopback (README "Scale-out", docs/SCALING.md):
#   - a Redis Cluster of 3 masters + 3 replicas (redis-server, cluster-enabled, ports BASE..BASE+5);
#   - a MariaDB primary (BASE+10) and one replica (BASE+11) replicating by GTID, own data directories;
#   - two eggchat instances (BASE+20, BASE+21; one worker each) on REDIS_CLUSTER_NODES and DATABASE_URL +
#     DATABASE_REPLICA_URLS, sharing one JWT secret and one media folder (CLUSTER_DIR/uploads: a file uploaded
#     through one instance is served by the other, as a shared volume or MEDIA_STORAGE=s3 does in a deployment);
#   - nginx (deploy/nginx.conf, both instances in its upstream) on BASE+30.
# Everything lives in CLUSTER_DIR (default /tmp/eggchat-cluster); `up` writes CLUSTER_DIR/env (the URLs and
# ports, sourced by test/cluster/*.ts) and answers once every part works. `down` stops what `up` started
# (by the pid files it wrote) and removes CLUSTER_DIR. CLUSTER_PORT_BASE (default 7600) moves every port.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${CLUSTER_DIR:-/tmp/eggchat-cluster}
BASE=${CLUSTER_PORT_BASE:-7600}
REDIS_PORTS=$(seq "$BASE" $((BASE + 5)))
DB_PRIMARY=$((BASE + 10))
DB_REPLICA=$((BASE + 11))
APP_A=$((BASE + 20))
APP_B=$((BASE + 21))
NGINX=$((BASE + 30))
# Only used by test/cluster/partition.cluster.ts: a third instance, and its TCP proxies to the six Redis nodes.
APP_C=$((BASE + 22))
REDIS_PROXY_BASE=$((BASE + 12))
DB_USER=eggchat
DB_PASS=eggchat_cluster
DB_NAME=eggchat

# shellcheck source=scripts/lib/build-copy.sh
. "$ROOT/scripts/lib/build-copy.sh"
# shellcheck source=scripts/lib/nginx-conf.sh
. "$ROOT/scripts/lib/nginx-conf.sh"

log() { echo "[cluster] $*"; }
die() { echo "[cluster] FAILED: $*" >&2; exit 1; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local what=$2 deadline=$((SECONDS + $1)); shift 2
  while [ "$SECONDS" -lt "$deadline" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$what did not come up in time"
}

sql() { # sql PORT STATEMENTS (as root over the data directory's socket)
  local port=$1; shift
  mariadb --no-defaults -uroot --socket="$DIR/mariadb-$port/mysqld.sock" -e "$*"
}

http_ok() { node -e 'require("http").get(process.argv[1], r => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1))' "$1"; }

start_redis() {
  local ports=() port
  for port in $REDIS_PORTS; do
    mkdir -p "$DIR/redis-$port"
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$DIR/redis-$port" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
      --appendonly yes --save '' --pidfile "$DIR/redis-$port/redis.pid" --logfile "$DIR/redis-$port/redis.log"
    ports+=("127.0.0.1:$port")
  done
  for port in $REDIS_PORTS; do wait_for 10 "redis $port" redis-cli -p "$port" ping; done
  redis-cli --cluster create "${ports[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/redis-create.log" 2>&1 \
    || die "redis-cli --cluster create: $(tail -5 "$DIR/redis-create.log")"
  for port in $REDIS_PORTS; do
    wait_for 30 "cluster state ok on $port" bash -c "redis-cli -p $port cluster info | grep -q cluster_state:ok"
  done
  log "Redis Cluster 3+3 on $BASE-$((BASE + 5))"
}

start_mariadb() { # start_mariadb PORT SERVER_ID
  local port=$1 id=$2 data="$DIR/mariadb-$1"
  mkdir -p "$data"
  mariadb-install-db --no-defaults --datadir="$data/data" --auth-root-authentication-method=socket \
    --user="$(id -un)" --skip-test-db >"$data/install.log" 2>&1 || die "mariadb-install-db: $(tail -5 "$data/install.log")"
  mariadbd --no-defaults --user="$(id -un)" --datadir="$data/data" --port="$port" --bind-address=127.0.0.1 \
    --socket="$data/mysqld.sock" --pid-file="$data/mysqld.pid" --log-error="$data/error.log" \
    --server-id="$id" --log-bin=binlog --binlog-format=ROW --log-slave-updates=ON --gtid-strict-mode=ON \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --performance-schema=OFF --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci >/dev/null 2>&1 &
  wait_for 60 "mariadbd $port" sql "$port" 'SELECT 1'
}

start_databases() {
  start_mariadb "$DB_PRIMARY" 1
  start_mariadb "$DB_REPLICA" 2
  sql "$DB_REPLICA" "SET GLOBAL read_only = ON; SET GLOBAL gtid_slave_pos = '';
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$DB_PRIMARY, MASTER_USER='repl', MASTER_PASSWORD='repl',
      MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;"
  # Made on the primary after the replica's position was set: the replica gets all of it through the binlog.
  sql "$DB_PRIMARY" "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
    GRANT ALL ON $DB_NAME.* TO '$DB_USER'@'127.0.0.1'; GRANT SLAVE MONITOR ON *.* TO '$DB_USER'@'127.0.0.1';"
  sql "$DB_REPLICA" "START SLAVE;"
  wait_for 30 "replication" bash -c "mariadb --no-defaults -uroot --socket='$DIR/mariadb-$DB_REPLICA/mysqld.sock' -N -e \"SHOW DATABASES LIKE '$DB_NAME'\" | grep -q $DB_NAME"
  log "MariaDB primary :$DB_PRIMARY, replica :$DB_REPLICA (GTID)"
}

write_env() {
  local nodes="" port
  for port in $REDIS_PORTS; do nodes+="${nodes:+,}127.0.0.1:$port"; done
  cat >"$DIR/env" <<ENV
CLUSTER_DIR=$DIR
REDIS_CLUSTER_NODES=$nodes
REDIS_PORTS="$(echo $REDIS_PORTS)"
DATABASE_URL=mysql://$DB_USER:$DB_PASS@127.0.0.1:$DB_PRIMARY/$DB_NAME
DATABASE_REPLICA_URLS=mysql://$DB_USER:$DB_PASS@127.0.0.1:$DB_REPLICA/$DB_NAME
DB_PRIMARY_PORT=$DB_PRIMARY
DB_REPLICA_PORT=$DB_REPLICA
DB_PRIMARY_SOCKET=$DIR/mariadb-$DB_PRIMARY/mysqld.sock
DB_REPLICA_SOCKET=$DIR/mariadb-$DB_REPLICA/mysqld.sock
APP_A_URL=http://127.0.0.1:$APP_A
APP_B_URL=http://127.0.0.1:$APP_B
NGINX_URL=http://127.0.0.1:$NGINX
APP_C_PORT=$APP_C
REDIS_PROXY_BASE=$REDIS_PROXY_BASE
JWT_SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
ENV
}

# start_app NAME PORT: one eggchat instance (one worker) from its own copy of the sources (own logs/ and run/).
# APP_EXTRA_ENV ("NAME=value …", no spaces in values) overrides the env file for it (test/cluster/partition.cluster.ts
# starts a third instance, c, whose Redis traffic goes through its TCP proxy).
start_app() {
  local name=$1 port=$2 dest="$DIR/app-$1"
  [ -d "$dest" ] || { copy_tree "$ROOT" "$dest" && mkdir -p "$dest/test/helpers" && cp "$ROOT/test/helpers/serve.ts" "$dest/test/helpers/"; }
  # shellcheck disable=SC1091
  (set -a; . "$DIR/env"; cd "$dest" && exec setsid env PORT="$port" WORKERS=1 EGG_SERVER_ENV=prod EGG_TYPESCRIPT=true HOME="$dest" TRUST_PROXY=1 \
    REGISTER_LIMIT_IP=100000 LOGIN_FAIL_LIMIT_IP=100000 VISITOR_LIMIT_IP=100000 WS_HEARTBEAT_MS="${WS_HEARTBEAT_MS:-5000}" \
    REPLICA_MAX_LAG_SECONDS="${REPLICA_MAX_LAG_SECONDS:-4}" REPLICA_CHECK_MS=500 \
    MEDIA_LOCAL_DIR="$DIR/uploads" ADMIN_ENABLED=1 ${APP_EXTRA_ENV:-} node -r ts-node/register/transpile-only test/helpers/serve.ts) >"$DIR/app-$name.log" 2>&1 &
  echo $! >"$DIR/app-$name.pid"
}

wait_app() { # wait_app NAME PORT
  wait_for 120 "eggchat $1 on :$2" http_ok "http://127.0.0.1:$2/api/health"
}

start_nginx() {
  nginx_conf "$DIR/nginx" "$NGINX" "$ROOT/deploy/nginx.conf" "$APP_A" "$APP_B" >/dev/null
  nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" -t >/dev/null 2>&1 || nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" -t
  nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"
  wait_for 20 "nginx :$NGINX" http_ok "http://127.0.0.1:$NGINX/api/health"
  log "nginx :$NGINX → :$APP_A, :$APP_B"
}

up() {
  [ -e "$DIR/env" ] && die "$DIR/env exists: the ensemble is up (npm run cluster:down first)"
  local port
  for port in $REDIS_PORTS $(seq $((BASE + 10000)) $((BASE + 10005))) "$DB_PRIMARY" "$DB_REPLICA" "$APP_A" "$APP_B" "$NGINX" "$APP_C" $(seq "$REDIS_PROXY_BASE" $((REDIS_PROXY_BASE + 5))); do
    # Something else listening there would be taken for ours: choose another CLUSTER_PORT_BASE.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is in use (CLUSTER_PORT_BASE=$BASE)"
  done
  mkdir -p "$DIR"
  start_redis
  start_databases
  write_env
  (set -a; . "$DIR/env"; cd "$ROOT" && npx sequelize-cli db:migrate >"$DIR/migrate.log" 2>&1) || die "migrations: $(tail -5 "$DIR/migrate.log")"
  start_app a "$APP_A"
  start_app b "$APP_B"
  wait_app a "$APP_A"
  wait_app b "$APP_B"
  log "eggchat :$APP_A and :$APP_B"
  start_nginx
  log "up: source $DIR/env"
}

stop_pidfile() { # stop_pidfile FILE [SIGNAL]: the process (group, for setsid'd apps) named by a pid file
  local file=$1 signal=${2:-TERM} pid
  [ -s "$file" ] || return 0
  pid=$(cat "$file")
  kill -"$signal" -- "-$pid" 2>/dev/null || kill -"$signal" "$pid" 2>/dev/null || true
}

down() {
  [ -d "$DIR" ] || { log "nothing to stop in $DIR"; return 0; }
  [ -s "$DIR/nginx/nginx.pid" ] && nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" -s stop 2>/dev/null || true
  for name in a b c; do stop_pidfile "$DIR/app-$name.pid"; done
  for port in $REDIS_PORTS; do stop_pidfile "$DIR/redis-$port/redis.pid"; done
  for port in "$DB_PRIMARY" "$DB_REPLICA"; do stop_pidfile "$DIR/mariadb-$port/mysqld.pid"; done
  sleep 2
  for name in a b c; do stop_pidfile "$DIR/app-$name.pid" KILL; done
  for port in $REDIS_PORTS; do stop_pidfile "$DIR/redis-$port/redis.pid" KILL; done
  for port in "$DB_PRIMARY" "$DB_REPLICA"; do stop_pidfile "$DIR/mariadb-$port/mysqld.pid" KILL; done
  rm -rf "$DIR"
  log "down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  start-app) start_app "$2" "$3"; wait_app "$2" "$3" ;; # used by test/cluster after killing an instance, and for c
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
