#!/usr/bin/env bash
# npm run test:cluster — starts the scale-out ensemble (scripts/cluster.sh up), runs test/cluster/*.cluster.ts
# against it, then the Postman collection, the admin console and the socket check through nginx, i.e. spread over both instances
# (scripts/cluster-http.js), then part of the ordinary HTTP suite (CLUSTER_SUITE) in-process on the ensemble's Redis Cluster and
# MariaDB primary, and stops it whatever the outcome. Not on the replica: those suites write their fixtures straight
# through the models, outside any request, and read-your-writes covers a caller's own writes only (a fixture of 5,003
# contacts read back from the replica while it was still applying them: 4,000); test/cluster/ covers the replica. An ensemble already up (CLUSTER_DIR/env exists) is used as it is and left
# running. The suite empties the ensemble's database and Redis (test/helpers/db.ts): it runs last.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${CLUSTER_DIR:-/tmp/eggchat-cluster}
started=""
if [ ! -e "$DIR/env" ]; then
  bash "$ROOT/scripts/cluster.sh" up || { bash "$ROOT/scripts/cluster.sh" down; exit 1; }
  started=1
fi
cd "$ROOT" && npx egg-bin test --ts --tscompiler=ts-node/register/transpile-only ${CLUSTER_TESTS:-test/cluster/*.cluster.ts}
code=$?
if [ "$code" = 0 ]; then
  # The Postman collection, the admin console and the socket check through nginx, spread over both instances
  # (scripts/cluster-http.js).
  CLUSTER_DIR="$DIR" node "$ROOT/scripts/cluster-http.js"
  code=$?
fi
suite=${CLUSTER_SUITE-test/app/controller/user.test.ts test/app/controller/chat/goodfriend.test.ts test/app/controller/chat/apply.test.ts
  test/app/controller/chat/group.test.ts test/app/controller/chat/settings.test.ts test/app/controller/profile.test.ts
  test/app/socket/server.test.ts test/app/socket/group.test.ts test/app/service/messageSend.test.ts}
if [ "$code" = 0 ] && [ -n "$suite" ]; then
  # shellcheck disable=SC1091
  (set -a; . "$DIR/env"; set +a; unset REDIS_URL DATABASE_REPLICA_URLS
    npx egg-bin test --ts --tscompiler=ts-node/register/transpile-only $suite)
  code=$?
fi
[ -n "$started" ] && bash "$ROOT/scripts/cluster.sh" down
exit $code
