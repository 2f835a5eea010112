#!/usr/bin/env bash
# Two pushmesh relays sharing one NATS server with JetStream: the setup of
# docs/backends.md, "Scale-out". Ctrl-C stops everything this script started.
#
#   npx tsc -p .                    # once, from the repository root
#   examples/nats-relays/run.sh     # NATS_PORT, RELAY1_PORT, RELAY2_PORT to move ports
#
# ONCE=1 starts everything, prints the summary and stops again (a smoke test).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PUSHMESH=(node "$ROOT/dist/src/cli/main.js")
NATS_SERVER="${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}"
NATS_PORT="${NATS_PORT:-4222}"
RELAY1_PORT="${RELAY1_PORT:-25104}"   # local API; HTTPS on +439, gRPC on +3
RELAY2_PORT="${RELAY2_PORT:-25204}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pushmesh-nats-relays.XXXXXX")"

[ -f "$ROOT/dist/src/cli/main.js" ] || { echo "build first: (cd $ROOT && npx tsc -p .)" >&2; exit 1; }
[ -x "$NATS_SERVER" ] || { echo "nats-server not found (set NATS_SERVER=/path/to/nats-server)" >&2; exit 1; }

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until a TCP port on 127.0.0.1 answers (at most 30 s).
wait_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing answers on 127.0.0.1:$1; logs in $WORK" >&2
  exit 1
}

echo "== nats-server with JetStream on 127.0.0.1:$NATS_PORT (store in $WORK/jetstream)"
"$NATS_SERVER" -js -sd "$WORK/jetstream" -a 127.0.0.1 -p "$NATS_PORT" >"$WORK/nats.log" 2>&1 &
PIDS+=($!)
wait_port "$NATS_PORT"

# One config for both relays: the same NATS, the scale-out fabric on.
cat >"$WORK/relay.yaml" <<YAML
nats: [nats://127.0.0.1:$NATS_PORT]
backends:
  nats:
    fabric: true          # stream PUSHMESH_FABRIC, subjects pushmesh.fabric.node.<node id>
    fabricMaxPerNode: 10000
limits:
  maxTtl: 86400           # messages wait in the fabric one day at most
YAML

start_relay() { # name local-port
  local name=$1 port=$2
  "${PUSHMESH[@]}" run --home "$WORK/$name" --config "$WORK/relay.yaml" \
    --local "127.0.0.1:$port" --https "127.0.0.1:$((port + 439))" --grpc "127.0.0.1:$((port + 3))" \
    >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
}
echo "== relay 1 and relay 2 (logs: $WORK/relay1.log, $WORK/relay2.log)"
start_relay relay1 "$RELAY1_PORT"
start_relay relay2 "$RELAY2_PORT"
ID1="$(curl -fsS "http://127.0.0.1:$RELAY1_PORT/id" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')"
ID2="$(curl -fsS "http://127.0.0.1:$RELAY2_PORT/id" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')"

cat <<TXT

relay 1  $ID1
         local API http://127.0.0.1:$RELAY1_PORT   gRPC grpcs://$ID1@127.0.0.1:$((RELAY1_PORT + 3))
relay 2  $ID2
         local API http://127.0.0.1:$RELAY2_PORT   gRPC grpcs://$ID2@127.0.0.1:$((RELAY2_PORT + 3))
NATS     nats://127.0.0.1:$NATS_PORT (JetStream)

Devices attach to either relay and can be reached through the other one:
  # device B on relay 2
  ${PUSHMESH[*]} run --home /tmp/device-b --local 127.0.0.1:25304 --https off --grpc off \\
      --peer grpcs://$ID2@127.0.0.1:$((RELAY2_PORT + 3))
  # device A on relay 1, sending to B (B's card: pushmesh peer add http://127.0.0.1:25304 --home /tmp/device-a)
  ${PUSHMESH[*]} run --home /tmp/device-a --local 127.0.0.1:25404 --https off --grpc off \\
      --peer grpcs://$ID1@127.0.0.1:$((RELAY1_PORT + 3))
  ${PUSHMESH[*]} send --local 127.0.0.1:25404 --to <B's id> --topic chat --data '{"text":"hi"}'
Relay 1 has no route to B and forwards it into the fabric; relay 2 (where B is
attached) delivers it. Stop B, send again, start B on relay 1: the message waited in
JetStream. (This needs the node to call the fabric from its routing, see
docs/backends.md "Scale-out / How the node uses it"; until then the relays start
with the fabric configured and share NATS for CloudEvents and signed configs.)

Signed configs travel between the relays over JetStream today:
  POST a config signed with 'pushmesh config sign' to http://127.0.0.1:$RELAY1_PORT/config
  (relays started with --trust NS=OWNER), read it from http://127.0.0.1:$RELAY2_PORT/config/NS/NAME.
TXT

if [ "${ONCE:-0}" = 1 ]; then exit 0; fi
echo "Ctrl-C to stop."
wait
