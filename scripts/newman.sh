#!/usr/bin/env bash
# npm run test:postman — runs docs/postman/eggchat.postman_collection.json with newman against a freshly
# started, production-like server (compiled with tsc, started with egg-scripts, EGG_SERVER_ENV=prod), then
# scripts/socket-check.js against the same server: the WebSocket GET /ws, which newman cannot open.
#
# Profile: the environment decides, as for the server itself.
#   no DATABASE_URL → embedded profile on a new, empty SQLite file in a temp dir (migrations at start-up)
#   DATABASE_URL=mysql://… [REDIS_URL=redis://…] → production profile; pending migrations are applied at
#     start-up (DB_AUTO_MIGRATE=1 unless you set it). The collection makes unique usernames per run, so
#     the database does not have to be empty.
# Knobs: POSTMAN_PORT (default 7411), POSTMAN_WORKERS (default 1), JWT_SECRET (random when unset),
#   VISITOR_SIGN_SALT (passed to the server and to the collection's signing scripts as visitorSalt).
#
# The build happens in a throw-away copy of the tree (node_modules linked): compiled .js never lands in
# the working tree, so `npm test` / `npm run dev` keep working while this runs, and nothing needs an
# `ets clean` afterwards. The server is stopped and the copy removed on every exit path.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${POSTMAN_PORT:-7411}
WORKERS=${POSTMAN_WORKERS:-1}
TITLE="eggchat-postman-$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/eggchat-postman.XXXXXX")
BUILD="$WORK/app"
BIN="$ROOT/node_modules/.bin"
started=0
# shellcheck source=scripts/lib/build-copy.sh
. "$ROOT/scripts/lib/build-copy.sh"

cleanup() {
  local code=$?
  if [ "$started" = 1 ]; then
    echo "== stopping the server ($TITLE)"
    "$BIN/egg-scripts" stop --title="$TITLE" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "test:postman: $*" >&2; exit 1; }

show_logs() {
  for f in "$WORK/master-stderr.log" "$BUILD/logs/common-error.log"; do
    [ -s "$f" ] && { echo "---- $f (last 40 lines)"; tail -n 40 "$f"; }
  done
}

node -e 'const s=require("net").createServer().once("error",()=>process.exit(1)).listen(+process.argv[1],"0.0.0.0",()=>s.close())' "$PORT" \
  || fail "port $PORT is in use: set POSTMAN_PORT to a free port"

echo "== building in $BUILD"
build_copy "$ROOT" "$BUILD" || fail "npm run tsc failed"

export EGG_SERVER_ENV=prod
export JWT_SECRET=${JWT_SECRET:-$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')}
# The run registers, logs in and fails logins from one IP: raise the throttles so repeated runs pass.
export LOGIN_FAIL_LIMIT_ACCOUNT=${LOGIN_FAIL_LIMIT_ACCOUNT:-1000}
export LOGIN_FAIL_LIMIT_IP=${LOGIN_FAIL_LIMIT_IP:-100000}
export REGISTER_LIMIT_IP=${REGISTER_LIMIT_IP:-100000}
export APPLY_LIMIT_DAILY=${APPLY_LIMIT_DAILY:-100000}
# The visitor folder signs three counted calls per run from one device (under VISITOR_LIMIT_DEVICE) but all
# runs come from one IP: raise the per-IP cap so that repeated runs on one Redis pass.
export VISITOR_LIMIT_IP=${VISITOR_LIMIT_IP:-100000}
if [ -n "${DATABASE_URL:-}" ]; then
  export DB_AUTO_MIGRATE=${DB_AUTO_MIGRATE:-1}
  profile="production (DATABASE_URL=${DATABASE_URL%%@*}@…, REDIS_URL=${REDIS_URL:-none})"
else
  export SQLITE_FILE="$WORK/postman.sqlite"
  profile="embedded (SQLite $SQLITE_FILE)"
fi

echo "== starting the server: port $PORT, $WORKERS worker(s), $profile"
started=1
"$BIN/egg-scripts" start --daemon --title="$TITLE" --port="$PORT" --workers="$WORKERS" --timeout=120000 \
  --stdout="$WORK/master-stdout.log" --stderr="$WORK/master-stderr.log" "$BUILD" >"$WORK/start.log" 2>&1 \
  || { cat "$WORK/start.log"; show_logs; fail "the server did not start"; }

echo "== newman"
# --working-dir: the media folder's form-data files (docs/postman/files/…) are relative to the repository root.
"$BIN/newman" run "$ROOT/docs/postman/eggchat.postman_collection.json" \
  --working-dir "$ROOT" \
  --environment "$ROOT/docs/postman/eggchat.postman_environment.json" \
  --env-var "baseUrl=http://127.0.0.1:$PORT" \
  ${VISITOR_SIGN_SALT:+--env-var "visitorSalt=$VISITOR_SIGN_SALT"} \
  --reporters cli
status=$?
if [ "$status" -ne 0 ]; then
  show_logs
  echo "test:postman: FAILED (newman exit $status)" >&2
  exit "$status"
fi

echo "== socket check (scripts/socket-check.js)"
BASE_URL="http://127.0.0.1:$PORT" node "$ROOT/scripts/socket-check.js"
status=$?
if [ "$status" -ne 0 ]; then
  show_logs
  echo "test:postman: FAILED (socket check exit $status)" >&2
  exit "$status"
fi
echo "test:postman: all requests and socket checks passed"
