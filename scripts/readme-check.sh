#!/usr/bin/env bash
# npm run test:readme — runs the commands of the README (in a throw-away copy of the tree, ports replaced by free
# ones) and checks what they print. Each command is first looked up verbatim in the README, so the README and this
# script cannot drift apart silently.
#   embedded profile: npm run dev (PORT=…), the curl register → login → logout example, /docs, newman, seed:admin
#     + an admin login, seed:demo, the sequelize-cli seeders
#   production profile (only when DATABASE_URL is set, e.g. by .ci/run): export JWT_SECRET="$(openssl rand -hex 32)",
#     npm run migrate, npm start, /api/health, seed:admin, npm stop
# `npm stop` stops every server titled egg-server-eggchat on this machine: run this in CI, not next to a live server.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
README=${README_FILE:-$ROOT/README.md}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/eggchat-readme.XXXXXX")
COPY="$WORK/eggchat"
# shellcheck source=scripts/lib/build-copy.sh
. "$ROOT/scripts/lib/build-copy.sh"
dev_pid=""
prod_started=0

cleanup() {
  local code=$?
  [ -n "$dev_pid" ] && kill -TERM -- "-$dev_pid" 2>/dev/null && sleep 2 && kill -KILL -- "-$dev_pid" 2>/dev/null
  [ "$prod_started" = 1 ] && (cd "$COPY" && npm stop >/dev/null 2>&1)
  rm -rf "$WORK"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "test:readme: FAILED: $*" >&2; exit 1; }
pass() { echo "  ok - $*"; }

# documented CMD: the command must appear verbatim in the README.
documented() {
  node -e 'process.exit(require("fs").readFileSync(process.argv[1], "utf8").includes(process.argv[2]) ? 0 : 1)' "$README" "$1" \
    || fail "not in $README any more: $1"
}

# in_copy CMD [PORT]: runs CMD in the copy with 7001 replaced by PORT; prints its output (stdout and stderr).
in_copy() {
  local cmd=$1 port=${2:-7001}
  (cd "$COPY" && bash -o pipefail -c "${cmd//7001/$port}" 2>&1)
}

# run CMD [PORT]: a README command, verbatim, through in_copy.
run() {
  documented "$1"
  in_copy "$@"
}

wait_health() {
  local port=$1 i
  for i in $(seq 1 120); do
    curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health" 2>/dev/null | grep -q 200 && return 0
    sleep 0.5
  done
  return 1
}

echo "== copy of the tree in $COPY (README: $README)"
copy_tree "$ROOT" "$COPY" || fail "copy"

echo "== embedded profile: npm run dev"
DATABASE_URL_SAVED=${DATABASE_URL:-}; REDIS_URL_SAVED=${REDIS_URL:-}
unset DATABASE_URL REDIS_URL SQLITE_FILE EGG_SERVER_ENV NODE_ENV
DEV_PORT=$(free_port)
documented 'PORT=7002 npm run dev'
(cd "$COPY" && exec setsid bash -c "PORT=$DEV_PORT npm run dev") >"$WORK/dev.log" 2>&1 &
dev_pid=$!
wait_health "$DEV_PORT" || { tail -n 40 "$WORK/dev.log"; fail "npm run dev did not answer on port $DEV_PORT"; }
pass "PORT=$DEV_PORT npm run dev → /api/health 200"

echo "== register → login → logout"
out=$(run 'curl -s -d username=my01 -d password=123456 http://127.0.0.1:7001/api/regChat' "$DEV_PORT")
echo "$out" | grep -q '"username":"my01"' || fail "register: $out"
login_cmd='TOKEN=$(curl -s -d username=my01 -d password=123456 http://127.0.0.1:7001/api/loginChat \
  | node -pe '"'"'JSON.parse(require("fs").readFileSync(0)).data.token'"'"')'
logout_cmd='curl -s -X POST -H "token: $TOKEN" http://127.0.0.1:7001/api/chat/logout'
documented "$login_cmd"
documented "$logout_cmd"
out=$(in_copy "$login_cmd; $logout_cmd; echo; $logout_cmd" "$DEV_PORT")
[ "$(echo "$out" | sed -n 1p)" = '{"msg":"ok","data":true}' ] || fail "first logout: $out"
[ "$(echo "$out" | sed -n 2p)" = '{"msg":"fail","data":"Token 令牌不合法！"}' ] || fail "second logout: $out"
pass "register, login, logout, then 401 Token 令牌不合法！"

echo "== Swagger UI"
documented 'http://127.0.0.1:7001/docs'
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DEV_PORT/docs")
[ "$code" = 200 ] || fail "GET /docs → $code"
pass "GET /docs → 200"

echo "== newman against the running server"
out=$(run 'npx newman run docs/postman/eggchat.postman_collection.json -e docs/postman/eggchat.postman_environment.json --env-var baseUrl=http://127.0.0.1:7001' "$DEV_PORT") \
  || { echo "$out" | tail -n 60; fail "newman"; }
pass "newman: $(echo "$out" | grep -E '│\s+assertions' | tr -s ' │' ' ')"

echo "== seed data on the dev database"
out=$(run 'ADMIN_USERNAME=admin_01 ADMIN_PASSWORD=Change1234 npm run seed:admin') || fail "seed:admin: $out"
echo "$out" | grep -q 'admin "admin_01" created' || fail "seed:admin: $out"
role=$(curl -s -d username=admin_01 -d password=Change1234 "http://127.0.0.1:$DEV_PORT/api/loginChat" | node -pe 'JSON.parse(require("fs").readFileSync(0)).data.role')
[ "$role" = admin ] || fail "the seeded admin cannot log in (role: $role)"
pass "seed:admin, and admin_01 logs in with role admin"
out=$(run 'npm run seed:demo -- --users 1000') || fail "seed:demo: $out"
echo "$out" | grep -q 'added 1000 users' || fail "seed:demo: $out"
out=$(run 'npm run seed:demo -- --users 1000') || fail "seed:demo again: $out"
echo "$out" | grep -q 'added 0 users, 0 goodfriend rows, 0 pending applications' || fail "seed:demo re-run: $out"
pass "seed:demo -- --users 1000 (twice: nothing added the second time)"
out=$(run 'ADMIN_USERNAME=admin_01 ADMIN_PASSWORD=Change1234 npx sequelize-cli db:seed --seed 20250701000100-admin-user.js') || fail "$out"
out=$(run 'DEMO_USERS=200 npx sequelize-cli db:seed --seed 20250701000200-demo-data.js') || fail "$out"
out=$(run 'npx sequelize-cli db:seed:undo --seed 20250701000200-demo-data.js') || fail "$out"
left=$(curl -s -d keyword=demo_ -H "token: $(curl -s -d username=admin_01 -d password=Change1234 "http://127.0.0.1:$DEV_PORT/api/loginChat" | node -pe 'JSON.parse(require("fs").readFileSync(0)).data.token')" \
  "http://127.0.0.1:$DEV_PORT/api/chat/searchUser" | node -pe 'JSON.parse(require("fs").readFileSync(0)).data.length')
[ "$left" = 0 ] || fail "db:seed:undo left $left demo users"
pass "sequelize-cli db:seed (admin, demo) and db:seed:undo"

kill -TERM -- "-$dev_pid" 2>/dev/null
for _ in $(seq 1 30); do kill -0 "$dev_pid" 2>/dev/null || break; sleep 0.5; done
kill -KILL -- "-$dev_pid" 2>/dev/null
dev_pid=""

if [ -z "$DATABASE_URL_SAVED" ]; then
  echo "== production profile: skipped (set DATABASE_URL and REDIS_URL to run npm run migrate / npm start / npm stop)"
  echo "test:readme: all checks passed"
  exit 0
fi

echo "== production profile: migrate, start, stop"
export DATABASE_URL=$DATABASE_URL_SAVED
[ -n "$REDIS_URL_SAVED" ] && export REDIS_URL=$REDIS_URL_SAVED
documented 'export DATABASE_URL=mysql://'
documented 'export JWT_SECRET="$(openssl rand -hex 32)"'
export JWT_SECRET="$(openssl rand -hex 32)"
[ ${#JWT_SECRET} = 64 ] || fail "openssl rand -hex 32"
out=$(run 'npm run migrate') || fail "npm run migrate: $out"
pass "npm run migrate"
PROD_PORT=$(free_port)
documented 'npm start'
prod_started=1
out=$(cd "$COPY" && PORT=$PROD_PORT WORKERS=1 npm start 2>&1) || { echo "$out" | tail -n 40; fail "npm start"; }
wait_health "$PROD_PORT" || fail "npm start: no answer on $PROD_PORT"
pass "npm start → /api/health 200 on port $PROD_PORT"
out=$(run 'ADMIN_USERNAME=admin_01 ADMIN_PASSWORD=Change1234 npm run seed:admin') || fail "seed:admin on MySQL: $out"
role=$(curl -s -d username=admin_01 -d password=Change1234 "http://127.0.0.1:$PROD_PORT/api/loginChat" | node -pe 'JSON.parse(require("fs").readFileSync(0)).data.role')
[ "$role" = admin ] || fail "the seeded admin cannot log in on MySQL (role: $role)"
pass "seed:admin on MySQL, admin_01 logs in"
out=$(run 'npm stop') || fail "npm stop: $out"
prod_started=0
for _ in $(seq 1 30); do pgrep -f 'egg-server-eggchat' >/dev/null || break; sleep 0.5; done
! pgrep -f 'egg-server-eggchat' >/dev/null || fail "processes left after npm stop"
pass "npm stop"

echo "test:readme: all checks passed"
