#!/usr/bin/env bash
# npm run test:deploy — checks deploy/eggchat.service and deploy/nginx.conf on this machine, without root:
#   1. `systemd-analyze verify` on the unit (paths pointed at a throw-away build), when systemd-analyze exists;
#   2. runs the unit's ExecStart the way systemd does (its Environment= lines, foreground, own process
#      group), waits for /api/health, checks TRUST_PROXY handling, then sends SIGTERM to the main process
#      only (KillMode=mixed) and checks that everything is gone well within TimeoutStopSec;
#   3. `nginx -t` on deploy/nginx.conf inside a minimal nginx.conf, then a real nginx in front of the app:
#      proxied answers, 413 above client_max_body_size, client IP from X-Forwarded-For, /ws and the QR code
#      image (both carry ?token=) proxied and kept out of the access log (when nginx exists);
#   4. the same ExecStart with an unreachable DATABASE_URL must fail within seconds with a clear message.
# Profile: DATABASE_URL/REDIS_URL from the environment (production profile), else a temp SQLite file.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNIT="$ROOT/deploy/eggchat.service"
NGINX_SNIPPET="$ROOT/deploy/nginx.conf"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/eggchat-deploy.XXXXXX")
BUILD="$WORK/srv"
# shellcheck source=scripts/lib/build-copy.sh
. "$ROOT/scripts/lib/build-copy.sh"
# shellcheck source=scripts/lib/nginx-conf.sh
. "$ROOT/scripts/lib/nginx-conf.sh"
app_pid=""
nginx_conf=""

cleanup() {
  local code=$?
  [ -n "$nginx_conf" ] && [ -s "$WORK/nginx/nginx.pid" ] && nginx -c "$nginx_conf" -p "$WORK/nginx" -s stop 2>/dev/null
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then kill -KILL -- "-$app_pid" 2>/dev/null; fi
  rm -rf "$WORK"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "test:deploy: FAILED: $*" >&2; [ -f "$WORK/app.log" ] && tail -n 30 "$WORK/app.log" >&2; exit 1; }
pass() { echo "  ok - $*"; }

# http METHOD URL [BODY] [X-Forwarded-For] → prints "<status> <body>". BODY "@N" sends N bytes of form data.
http() {
  node -e '
    const [method, url, body = "", xff] = process.argv.slice(1);
    const payload = body.startsWith("@") ? "x=" + "a".repeat(Number(body.slice(1))) : body;
    const headers = { connection: "close" };
    if (payload) headers["content-type"] = "application/x-www-form-urlencoded";
    if (xff) headers["x-forwarded-for"] = xff;
    const req = require("http").request(url, { method, headers, timeout: 5000 }, res => {
      let data = ""; res.on("data", c => data += c); res.on("end", () => console.log(res.statusCode, data));
    });
    req.on("error", e => console.log(0, e.code || e.message));
    req.on("timeout", () => req.destroy(new Error("TIMEOUT")));
    req.end(payload);' "$@"
}

json_field() { node -e 'const t=process.argv[1];const j=JSON.parse(t.slice(t.indexOf(" ")+1));console.log(process.argv[2].split(".").reduce((o,k)=>o&&o[k],j))' "$1" "$2"; }

echo "== build (npm run tsc) in $BUILD"
build_copy "$ROOT" "$BUILD" || fail "npm run tsc failed"
mkdir -p "$BUILD/logs" "$BUILD/run" "$BUILD/data"
sed "s#/srv/eggchat#$BUILD#g" "$UNIT" >"$WORK/eggchat.service"

echo "== 1. systemd-analyze verify"
if command -v systemd-analyze >/dev/null 2>&1; then
  : >"$WORK/eggchat.env"
  sed -i "s#^EnvironmentFile=.*#EnvironmentFile=$WORK/eggchat.env#" "$WORK/eggchat.service"
  out=$(systemd-analyze verify "$WORK/eggchat.service" 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || echo "$out"
  pass "unit verified"
else
  echo "  skip - systemd-analyze not installed"
fi

# The unit's Environment= lines, then this machine's settings in place of /etc/eggchat/eggchat.env.
mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$WORK/eggchat.service")
PORT=$(free_port)
site_env=(PORT="$PORT" JWT_SECRET="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')"
  REGISTER_LIMIT_IP=100000 LOGIN_FAIL_LIMIT_IP=100000)
if [ -n "${DATABASE_URL:-}" ]; then
  site_env+=(DATABASE_URL="$DATABASE_URL" DB_AUTO_MIGRATE=1)
  [ -n "${REDIS_URL:-}" ] && site_env+=(REDIS_URL="$REDIS_URL")
else
  site_env+=(SQLITE_FILE="$BUILD/data/eggchat.sqlite")
fi
exec_start=$(sed -n 's/^ExecStart=//p' "$WORK/eggchat.service")

# start_unit ENV...: runs ExecStart like systemd (clean environment, own process group); sets app_pid.
start_unit() {
  local -a env_list=("${unit_env[@]}" "$@")
  local cmd=$exec_start var value
  for var in PORT WORKERS; do
    value=$(printf '%s\n' "${env_list[@]}" | sed -n "s/^$var=//p" | tail -1)
    cmd=${cmd//\$\{$var\}/$value}
  done
  (cd "$BUILD" && exec setsid env -i PATH="$PATH" "${env_list[@]}" $cmd) >"$WORK/app.log" 2>&1 &
  app_pid=$!
}

echo "== 2. ExecStart in the foreground, as systemd runs it"
start_unit "${site_env[@]}"
for _ in $(seq 1 120); do
  reply=$(http GET "http://127.0.0.1:$PORT/api/health")
  [ "${reply%% *}" = 200 ] && break
  kill -0 "$app_pid" 2>/dev/null || fail "the service exited during start-up"
  sleep 0.5
done
[ "${reply%% *}" = 200 ] || fail "no answer from /api/health: $reply"
pass "GET /api/health → $reply"

name="dep_$(date +%s%N | tail -c 9)"
reply=$(http POST "http://127.0.0.1:$PORT/api/regChat" "username=$name&password=123456" "9.9.9.9, 1.2.3.4")
[ "$(json_field "$reply" data.register_ip)" = "1.2.3.4" ] || fail "TRUST_PROXY=1 should take the last X-Forwarded-For hop: $reply"
pass "TRUST_PROXY=1: client IP = last X-Forwarded-For entry (register_ip 1.2.3.4)"

echo "== 3. nginx"
if command -v nginx >/dev/null 2>&1; then
  NGINX_PORT=$(free_port)
  nginx_conf=$(nginx_conf "$WORK/nginx" "$NGINX_PORT" "$NGINX_SNIPPET" "$PORT")
  out=$(nginx -t -c "$nginx_conf" -p "$WORK/nginx" 2>&1) || fail "nginx -t: $out"
  pass "nginx -t accepts deploy/nginx.conf"
  nginx -c "$nginx_conf" -p "$WORK/nginx" 2>/dev/null || fail "nginx did not start"
  sleep 0.3
  reply=$(http GET "http://127.0.0.1:$NGINX_PORT/api/health")
  [ "${reply%% *}" = 200 ] || fail "GET /api/health through nginx: $reply"
  pass "through nginx: GET /api/health → 200"
  reply=$(http POST "http://127.0.0.1:$NGINX_PORT/api/regChat" "@1100000")
  [ "${reply%% *}" = 413 ] || fail "a 1.1 MB body through nginx should get 413: ${reply:0:200}"
  pass "through nginx: 1.1 MB body → 413 (client_max_body_size 1m)"
  reply=$(node -e '
    const boundary = "eggchatdeploycheck";
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      Buffer.alloc(1100000, 0x61), Buffer.from(`\r\n--${boundary}--\r\n`) ]);
    const req = require("http").request(process.argv[1], { method: "POST", timeout: 10000,
      headers: { connection: "close", "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": body.length } }, res => {
      let data = ""; res.on("data", c => data += c); res.on("end", () => console.log(res.statusCode, data));
    });
    req.on("error", e => console.log(0, e.code || e.message));
    req.end(body);' "http://127.0.0.1:$NGINX_PORT/api/chat/uploadStreamSingleToServerDiy/chatImg")
  [ "${reply%% *}" = 401 ] || fail "a 1.1 MB upload through nginx should reach the app (401 without a token), not nginx's 413: ${reply:0:200}"
  pass "through nginx: uploads pass the 1m body limit (their own location, up to the video cap)"
  name="ngx_$(date +%s%N | tail -c 9)"
  reply=$(http POST "http://127.0.0.1:$NGINX_PORT/api/regChat" "username=$name&password=123456" "6.6.6.6")
  [ "$(json_field "$reply" data.register_ip)" = "127.0.0.1" ] || fail "through nginx the client IP must be nginx's \$remote_addr, not a forged header: $reply"
  pass "through nginx: a forged X-Forwarded-For is ignored (register_ip = nginx's \$remote_addr)"
  token=$(json_field "$reply" data.token)
  out=$(node -e '
    const WebSocket = require("ws");
    const ws = new WebSocket(process.argv[1]);
    const timer = setTimeout(() => { console.log("no welcome frame"); process.exit(1); }, 5000);
    ws.on("message", data => { const frame = JSON.parse(data); if (frame.type === "system") { clearTimeout(timer); console.log("welcome"); ws.terminate(); process.exit(0); } });
    ws.on("error", err => { console.log(err.message); process.exit(1); });
  ' "ws://127.0.0.1:$NGINX_PORT/ws?token=$token" 2>&1) || fail "GET /ws through nginx: $out"
  grep -q "token=" "$WORK/nginx/logs/access.log" && fail "the socket URL (with its token) reached nginx's access log"
  pass "through nginx: /ws upgrades (welcome frame), and its URL is not in the access log"
  # The QR code image URL carries the token too (?token=, an image source): a PNG through nginx, not logged.
  user_id=$(json_field "$reply" data.id)
  out=$(node -e '
    require("http").get(process.argv[1], { timeout: 5000 }, res => {
      const chunks = []; res.on("data", c => chunks.push(c));
      res.on("end", () => console.log(res.statusCode, res.headers["content-type"], Buffer.concat(chunks).subarray(0, 8).toString("hex")));
    }).on("error", e => console.log(0, e.message));
  ' "http://127.0.0.1:$NGINX_PORT/api/chat/groupQrcode/$user_id?chatType=single&token=$token" 2>&1)
  [ "$out" = "200 image/png 89504e470d0a1a0a" ] || fail "GET /api/chat/groupQrcode/:id?token= through nginx should answer a PNG: $out"
  grep -q "token=" "$WORK/nginx/logs/access.log" && fail "the QR code URL (with its token) reached nginx's access log"
  grep -q "groupQrcode" "$WORK/nginx/logs/access.log" && fail "the QR code request reached nginx's access log"
  pass "through nginx: GET /api/chat/groupQrcode/:id?token= answers a PNG, and its URL is not in the access log"
  nginx -c "$nginx_conf" -p "$WORK/nginx" -s stop 2>/dev/null
  nginx_conf=""
else
  echo "  skip - nginx not installed"
fi

echo "== stop: SIGTERM to the main process only (KillMode=mixed)"
timeout_stop=$(sed -n 's/^TimeoutStopSec=//p' "$UNIT")
kill -TERM "$app_pid"
stopped=0
for _ in $(seq 1 $((timeout_stop * 2))); do
  if ! kill -0 "$app_pid" 2>/dev/null; then stopped=1; break; fi
  sleep 0.5
done
[ "$stopped" = 1 ] || fail "still running ${timeout_stop}s after SIGTERM"
wait "$app_pid"; code=$?
sleep 1
left=$(pgrep -g "$app_pid" 2>/dev/null | wc -l)
[ "$left" = 0 ] || fail "$left process(es) of the service left after it stopped"
app_pid=""
pass "stopped cleanly (exit $code), no process left"

echo "== 4. fail fast: unreachable DATABASE_URL"
dead=$(free_port)
started_at=$(date +%s)
start_unit PORT="$(free_port)" JWT_SECRET=deploy-check DATABASE_URL="mysql://eggchat:x@127.0.0.1:$dead/eggchat"
wait "$app_pid"; code=$?
app_pid=""
took=$(( $(date +%s) - started_at ))
[ "$code" != 0 ] || fail "the service should exit non-zero"
grep -q "Cannot reach the database at 127.0.0.1:$dead (DATABASE_URL)" "$WORK/app.log" || fail "no clear message in the output"
[ "$took" -le 15 ] || fail "took ${took}s to give up"
pass "exit $code after ${took}s: $(grep -o 'Cannot reach the database[^"]*' "$WORK/app.log" | head -1)"

echo "test:deploy: all checks passed"
