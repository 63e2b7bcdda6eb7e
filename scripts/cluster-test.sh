#!/usr/bin/env bash
# npm run test:cluster — starts the scale-out ensemble (scripts/cluster.sh up), runs test/cluster/*.cluster.ts
# against it, and stops it whatever the outcome. An ensemble already up (CLUSTER_DIR/env exists) is used as
# it is and left running.
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
[ -n "$started" ] && bash "$ROOT/scripts/cluster.sh" down
exit $code
