#!/usr/bin/env bash
# A jump-host chain on one machine: device A → relay R1 ← relay R2 ← device B
# (docs/routing.md). A and B listen on nothing (as behind NAT) and only dial
# out; R2 dials R1. A sends to B by node ID; the message crosses both relays,
# which can route it but not read it, and B's app shows it with its path.
#
#   npx tsc -p .                     # once, from the repository root
#   examples/jump-chain/run.sh       # BASE_PORT moves the ports (default 26000)
#
# ONCE=1 sends one message, shows it arriving, and stops (a smoke test).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PUSHMESH=(node "$ROOT/dist/src/cli/main.js")
BASE="${BASE_PORT:-26000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pushmesh-jump-chain.XXXXXX")"
[ -f "$ROOT/dist/src/cli/main.js" ] || { echo "build first: (cd $ROOT && npx tsc -p .)" >&2; exit 1; }

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # port: waits until 127.0.0.1:port answers (30 s at most)
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing answers on 127.0.0.1:$1; logs in $WORK" >&2
  exit 1
}
node_id() { "${PUSHMESH[@]}" id --home "$WORK/$1" 2>/dev/null; }
start() { # name local-port extra-args...
  local name=$1 port=$2
  shift 2
  "${PUSHMESH[@]}" run --home "$WORK/$name" --local "127.0.0.1:$port" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
}

R1_GRPC=$((BASE + 7))
echo "== relay R1 (gRPC 127.0.0.1:$R1_GRPC), relay R2 dialing R1, devices A and B dialing out"
start r1 $((BASE + 1)) --https off --grpc "127.0.0.1:$R1_GRPC"
R1="$(node_id r1)"
start r2 $((BASE + 2)) --https off --grpc "127.0.0.1:$((BASE + 8))" --peer "grpcs://$R1@127.0.0.1:$R1_GRPC"
R2="$(node_id r2)"
start b $((BASE + 4)) --https off --grpc off --peer "grpcs://$R2@127.0.0.1:$((BASE + 8))"
start a $((BASE + 3)) --https off --grpc off --peer "grpcs://$R1@127.0.0.1:$R1_GRPC"
A="$(node_id a)"
B="$(node_id b)"

# End-to-end encryption needs the destination's card (its keys): A learns B's.
"${PUSHMESH[@]}" card --home "$WORK/b" >"$WORK/b.card.json"
"${PUSHMESH[@]}" peer add "$WORK/b.card.json" --home "$WORK/a" >/dev/null

cat <<TXT

device A  $A   local API http://127.0.0.1:$((BASE + 3))
relay R1  $R1
relay R2  $R2
device B  $B   local API http://127.0.0.1:$((BASE + 4))

Watch B's messages:      curl -N http://127.0.0.1:$((BASE + 4))/msg/chat
Send from A to B:        curl -X POST -H 'content-type: application/json' -d '{"text":"hi"}' \\
                           'http://127.0.0.1:$((BASE + 3))/msg/chat?to=$B&receipt=1'
A's routes:              curl http://127.0.0.1:$((BASE + 3))/routes
TXT

if [ "${ONCE:-}" = "1" ]; then
  # Wait until R1 has learned (from R2's signed announcement) that B sits behind R2.
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$((BASE + 1))/routes" | grep -q "$B" && break
    sleep 0.1
  done
  curl -fsS -X POST -H 'content-type: application/json' -d '{"text":"hello across two relays"}' \
    "http://127.0.0.1:$((BASE + 3))/msg/chat?to=$B" >/dev/null
  echo
  echo "== what B's app received:"
  for _ in $(seq 1 300); do
    got="$(curl -fsS "http://127.0.0.1:$((BASE + 4))/msg/chat")"
    case "$got" in *hello*) echo "$got"; break ;; esac
    sleep 0.1
  done
  case "$got" in *hello*) ;; *) echo "the message did not arrive; logs in $WORK" >&2; exit 1 ;; esac
  grep -q "hello across" "$WORK/r1.log" "$WORK/r2.log" && { echo "a relay logged the plaintext!" >&2; exit 1; }
  echo "(the relays' logs do not contain the text)"
  exit 0
fi
echo
echo "Ctrl-C stops all four nodes."
wait
