#!/usr/bin/env bash
# plain_recovery.sh: one drill's recovery done the way a user without
# firedrill would script it, with docker exec, docker cp, docker run and
# curl, on a stack started by docker-compose from firedrill's own stack
# definition. `make bench` runs it to price firedrill's overhead on the RTO.
#
#   bench/plain_recovery.sh q1|q2|q3|q4
#
# It brings the traderunner to the drill's steady state (not timed), injects
# the same fault, waits until the fault shows, runs the same recovery
# commands as the feature (each here-document below delimited by FEATURE
# is copied from features/; a unit test holds them to the features) and
# polls the feature's final check until it passes. The RTO is measured like
# firedrill's: from the moment just before the fault to the moment the
# passing check finished, polling at the same fixed interval (the first
# attempt at once, then one every interval, never overlapping). It does not
# measure RPO or check positions: that is firedrill's work, and part of the
# overhead measured.
#
# Environment (set by the benchmark):
#   FD_PREFIX            container name prefix; roles are appended (…-primary)
#   FD_NETWORK           the stack's network (Q4's backup server joins it)
#   FD_LABELS            labels for what this script creates, "k=v k=v"
#   FD_BACKUP_IMAGE      image of Q4's backup server
#   FD_BACKUP_ENV_FILE   its environment (the traderunner's, with secrets)
#   FD_HOME              the deployment's home (default /opt/trading/traderunner)
#   FD_PROBE_INTERVAL_MS probe interval (default 250, the ci profile's)
#   FD_LIMIT             seconds any one wait may take (default 120)
#
# Output on stdout: "event NAME EPOCH" lines, "phase NAME START END" lines,
# then "rto SECONDS". Command output goes to stderr.
set -euo pipefail
export LC_ALL=C

drill=${1:?usage: plain_recovery.sh q1|q2|q3|q4}
prefix=${FD_PREFIX:?FD_PREFIX is not set}
home=${FD_HOME:-/opt/trading/traderunner}
interval_us=$((${FD_PROBE_INTERVAL_MS:-250} * 1000))
limit_s=${FD_LIMIT:-120}
server=${prefix}primary

now_us() {
  local t=$EPOCHREALTIME
  echo "${t/./}"
}
secs() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }
event() { echo "event $1 $(secs "$2")"; }

# host_port ROLE-CONTAINER PORT: where a published port is reached from here.
host_port() { docker port "$1" "$2" | head -n1 | sed 's/.*://'; }

# run SCRIPT: bash in the current server, in the deployment's home, as firedrill runs it.
run() {
  docker exec "$server" bash -c "cd $home 2>/dev/null || cd /
$1" >&2
}

# poll ok|fail CMD...: runs CMD at once, then every interval, until it
# passes (ok) or fails (fail); sets poll_at to when the deciding attempt ended.
poll() {
  local want=$1 start next now rc
  shift
  start=$(now_us)
  next=$start
  while :; do
    if "$@" >/dev/null 2>&1; then rc=0; else rc=1; fi
    now=$(now_us)
    if [[ $want == ok && $rc == 0 || $want == fail && $rc != 0 ]]; then
      poll_at=$now
      return 0
    fi
    if ((now - start > limit_s * 1000000)); then
      echo "plain_recovery: '$*' never went $want within ${limit_s}s" >&2
      return 1
    fi
    next=$((next + interval_us))
    if ((next > now)); then sleep "$(secs $((next - now)))"; else next=$now; fi
  done
}

# step NAME < script: a runbook step that must succeed; plan_step NAME < script:
# a plan step as written, which may fail (its status is returned).
step() {
  local name=$1 script t0 rc=0
  script=$(cat)
  # the placeholder firedrill fills: the file the fault damaged
  script=${script//<file>/${FILE:-}}
  if [[ -n ${EXPECT:-} ]]; then script+=$'\n'$EXPECT; fi
  t0=$(now_us)
  run "set -eo pipefail
$script" || rc=$?
  echo "phase $(tr ' ' _ <<<"$name") $(secs "$t0") $(secs "$(now_us)")"
  return $rc
}
plan_step() { step "$@" || return 1; }

healthy() { curl -fsS -m 3 "http://127.0.0.1:$hport/healthz" >/dev/null; }
healthy_in() { curl -fsS -m 3 "http://127.0.0.1:$hport/healthz" | grep -qiE "\"mode\": ?\"$1\""; }
check() { run "$1"; }

# start_in MODE: the system's start command, then health in that mode.
start_in() {
  local t0
  t0=$(now_us)
  docker exec -e MODE="$1" "$server" bash -c "cd $home 2>/dev/null || cd /
TR_MODE=\$MODE make start" >&2
  poll ok healthy_in "$1"
  echo "phase start_in_$1_mode $(secs "$t0") $(secs "$poll_at")"
}

# Steady state, as the features' Background says it (not timed).
await_backups() {
  # shellcheck disable=SC2016 # expanded in the container
  poll ok run 'for r in "$RESTIC_REPOSITORY" "$TR_CLOUD_REPOSITORY"; do
  s=$(restic -r "$r" snapshots --json --no-lock) || exit 1
  grep -q "\"state\"" <<<"$s" && grep -q "\"data\"" <<<"$s" || exit 1
done'
}
in_flight() {
  curl -fsS -m 3 "http://127.0.0.1:$bport/api/v1/groundtruth" |
    grep -o '"status": *"[a-z_]*"' | grep -vqE 'filled|cancelled'
}
note_positions() {
  local t0
  t0=$(now_us)
  curl -fsS -m 3 "http://127.0.0.1:$bport/api/v1/groundtruth" >/dev/null
  echo "phase note_positions $(secs "$t0") $(secs "$(now_us)")"
}

fault() {
  fault_at=$(now_us)
  event fault_injected "$fault_at"
}
# verified_by CHECK: the feature's final check, polled until it passes; the
# RTO ends when the passing attempt finished.
verified_by() {
  local t0
  t0=$(now_us)
  poll ok check "$1"
  echo "phase check $(secs "$t0") $(secs "$poll_at")"
  event verified "$poll_at"
  echo "rto $(secs $((poll_at - fault_at)))"
}

hport=$(host_port "$server" 8090/tcp)
bport=$(host_port "${prefix}broker" 8080/tcp)

case $drill in
q1)
  # Q1, the M5 bars are deleted and recovered by option A.
  start_in paper
  await_backups
  fault
  run "rm -rf artifacts/data_m5"
  poll fail check "make data:validate"
  event failure_observed "$poll_at"
  plan_step "plan scenario 2 step 2" <<'FEATURE' ||
restic -r "$RESTIC_REPOSITORY" restore latest --target /tmp/restore --path /opt/trading/traderunner/data
cp -r /tmp/restore/data/* data/
FEATURE
    step "restore artifacts/data_m5 from the newest data snapshot that validates" <<'FEATURE'
for id in $(restic -r "$RESTIC_REPOSITORY" snapshots --tag data --compact | grep -oE '^[0-9a-f]{8}' | tac); do
rm -rf /tmp/restore
restic -r "$RESTIC_REPOSITORY" restore "$id" --target /tmp/restore --include /opt/trading/traderunner/artifacts/data_m5 || continue
test -d /tmp/restore/opt/trading/traderunner/artifacts/data_m5 || continue
# the folder goes back whole (copied beside it, then renamed), so the running ingest never sees half of it
rm -rf artifacts/data_m5.restored && cp -a /tmp/restore/opt/trading/traderunner/artifacts/data_m5 artifacts/data_m5.restored
rm -rf artifacts/data_m5 && mv artifacts/data_m5.restored artifacts/data_m5
make data:validate && break
echo "snapshot $id does not pass make data:validate: trying the one before"
done
FEATURE
  verified_by "make data:validate"
  ;;
q2)
  # Q2, "configs/risk.yml" is overwritten with broken YAML.
  FILE=configs/risk.yml
  start_in paper
  fault
  run "printf 'guards:\n  enabled: true\n  max_daily_loss: [1000\n' > configs/risk.yml"
  run "make stop" || true
  if docker exec -e MODE=paper "$server" bash -c "cd $home && TR_MODE=\$MODE make start" >&2; then
    echo "plain_recovery: the traderunner restarted cleanly: the fault never bit" >&2
    exit 1
  fi
  event failure_observed "$(now_us)"
  plan_step "plan scenario 1 step 1" <<'FEATURE'
cd /opt/trading/traderunner
FEATURE
  plan_step "plan scenario 1 step 2" <<'FEATURE'
git status
FEATURE
  plan_step "plan scenario 1 step 3" <<'FEATURE' ||
git checkout v1.0-stable
FEATURE
    step "roll the damaged file back from git" <<'FEATURE'
git checkout main 2>/dev/null || git checkout -
git checkout HEAD -- <file>
FEATURE
  plan_step "plan scenario 1 step 4" <<'FEATURE' ||
make test
make health-check
FEATURE
    step "roll back, start, then verify" <<'FEATURE'
git checkout main 2>/dev/null || git checkout -
git checkout HEAD -- <file>
make test
# the health check needs the traderunner running: start it in paper mode first
TR_MODE=paper make start
make health-check
FEATURE
  poll ok healthy_in paper
  verified_by "make health-check"
  ;;
q3)
  # Q3, the live trading process is killed mid-trading.
  start_in live
  await_backups
  poll ok in_flight
  fault
  # shellcheck disable=SC2016 # expanded in the container
  run 'kill -KILL "$(cat artifacts/run/traderunner.pid)"'
  poll fail healthy
  event failure_observed "$poll_at"
  note_positions
  plan_step "plan scenario 3 step 2" <<'FEATURE'
cat artifacts/state/positions.json
cat artifacts/state/pending_orders.json
FEATURE
  # Step 3 holds a <snapshot-id> for the operator: its one command runs,
  # then the corrected step.
  plan_step "plan scenario 3 step 3" <<'FEATURE' || true
restic -r "$RESTIC_REPOSITORY" snapshots
FEATURE
  step "restore the newest state snapshot" <<'FEATURE'
rm -rf /tmp/restore
restic -r "$RESTIC_REPOSITORY" restore latest --tag state --target /tmp/restore
FEATURE
  step "put the restored state in place and reconcile with the broker" <<'FEATURE'
cp -a /tmp/restore/opt/trading/traderunner/artifacts/state/. artifacts/state/
make reconcile
FEATURE
  plan_step "plan scenario 3 step 5" <<'FEATURE' ||
git checkout v1.0-stable
TR_MODE=live make start
FEATURE
    step "restart in paper mode on the release it ran" <<'FEATURE'
git checkout main 2>/dev/null || git checkout -
TR_MODE=paper make start
FEATURE
  poll ok healthy_in paper
  plan_step "plan scenario 3 step 6" <<'FEATURE'
make verify:positions
FEATURE
  step "switch to live" <<'FEATURE'
make stop
TR_MODE=live make start
FEATURE
  poll ok healthy_in live
  verified_by "$(
    cat <<'FEATURE'
make verify:positions && make health-check | grep 'Mode: LIVE'
FEATURE
  )"
  ;;
q4)
  # Q4, the primary server is lost and the backup server takes over.
  : "${FD_NETWORK:?} ${FD_BACKUP_IMAGE:?} ${FD_BACKUP_ENV_FILE:?}"
  start_in live
  await_backups
  poll ok in_flight
  mport=$(host_port "${prefix}minio" 9000/tcp)
  ak=$(docker exec "$server" printenv AWS_ACCESS_KEY_ID)
  sk=$(docker exec "$server" printenv AWS_SECRET_ACCESS_KEY)
  s3() { curl -fsS -m 10 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" "$@"; }
  fault
  docker rm -f -v "$server" >/dev/null
  # The backups that lived beside it: every object of the primary repository.
  while keys=$(s3 "http://127.0.0.1:$mport/traderunner-backup?list-type=2" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g') && [[ -n $keys ]]; do
    for k in $keys; do s3 -X DELETE "http://127.0.0.1:$mport/traderunner-backup/$k" >/dev/null; done
  done
  poll fail healthy
  event failure_observed "$poll_at"
  t0=$(now_us)
  labels=()
  for l in ${FD_LABELS:-}; do labels+=(--label "$l"); done
  docker run -d --name "${prefix}backup-server" --hostname backup-server \
    --network "$FD_NETWORK" --network-alias backup-server "${labels[@]}" \
    --env-file "$FD_BACKUP_ENV_FILE" -p 8090 --entrypoint sleep "$FD_BACKUP_IMAGE" infinity >/dev/null
  server=${prefix}backup-server
  hport=$(host_port "$server" 8090/tcp)
  # The release on the server, as firedrill stages it.
  docker exec "$server" mkdir -p /tmp/firedrill-install
  docker cp "${prefix}gitremote:/usr/local/bin/traderunner" - | docker cp - "$server:/tmp/firedrill-install/"
  echo "phase provision_backup_server $(secs "$t0") $(secs "$(now_us)")"
  plan_step "plan scenario 4 step 1" <<'FEATURE' ||
cd /opt/trading
git clone git://gitremote/traderunner.git
cd traderunner
FEATURE
    step "create the folder, then clone" <<'FEATURE'
mkdir -p /opt/trading && cd /opt/trading
git clone git://gitremote/traderunner.git
cd traderunner
FEATURE
  EXPECT=$(
    cat <<'FEATURE'
test -f artifacts/state/positions.json && test -d artifacts/data_m5
FEATURE
  )
  plan_step "plan scenario 4 step 2" <<'FEATURE' ||
restic -r "$TR_CLOUD_REPOSITORY" snapshots
restic -r "$TR_CLOUD_REPOSITORY" restore latest --target .
FEATURE
    EXPECT= step "restore the newest data and state snapshots from the cloud" <<'FEATURE'
rm -rf /tmp/restore
restic -r "$TR_CLOUD_REPOSITORY" restore latest --tag data --target /tmp/restore
restic -r "$TR_CLOUD_REPOSITORY" restore latest --tag state --target /tmp/restore
cp -a /tmp/restore/opt/trading/traderunner/. /opt/trading/traderunner/
FEATURE
  EXPECT=
  plan_step "plan scenario 4 step 3" <<'FEATURE'
install -m 0755 /tmp/firedrill-install/traderunner /usr/local/bin/traderunner && traderunner selftest
FEATURE
  note_positions
  step "reconcile with the broker" <<'FEATURE'
make reconcile
FEATURE
  plan_step "plan scenario 4 step 6" <<'FEATURE'
TR_MODE=paper make start
FEATURE
  poll ok healthy_in paper
  step "verify in paper mode" <<'FEATURE'
make health-check
make verify:positions
FEATURE
  plan_step "plan scenario 4 step 7" <<'FEATURE' ||
TR_MODE=live make start
FEATURE
    step "stop paper mode, then start live" <<'FEATURE'
make stop
TR_MODE=live make start
FEATURE
  poll ok healthy_in live
  verified_by "$(
    cat <<'FEATURE'
make verify:positions && make health-check | grep 'Mode: LIVE'
FEATURE
  )"
  ;;
*)
  echo "plain_recovery: unknown drill $drill: use q1, q2, q3 or q4" >&2
  exit 2
  ;;
esac
