#!/usr/bin/env bash
# Two pushmesh relays sharing one NATS server with JetStream (docs/backends.md,
# "Scale-out"): device A attached to relay 1, device B to relay 2, and the
# relays not linked to each other. A message from A to B crosses
# relay 1 → NATS (the fabric) → relay 2 → B, and the reply the other way.
# A and B listen on nothing (as behind NAT) and only dial out.
#
#   npx tsc -p .                    # once, from the repository root
#   examples/nats-relays/run.sh     # everything on free ports; Ctrl-C stops it all
#
# NATS_URL=nats://HOST:PORT uses a NATS server with JetStream you run yourself;
# otherwise the script starts its own (NATS_SERVER=/path/to/nats-server, v2.9+).
# ONCE=1 sends one message each way, shows them arriving, and stops (exit 0;
# non-zero with the reason on stderr when something does not work).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
pm_setup nats-relays

if [ -z "${NATS_URL:-}" ]; then
  NATS_SERVER="${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}"
  [ -x "$NATS_SERVER" ] || fail "nats-server not found (set NATS_SERVER=/path/to/nats-server, or NATS_URL to use a running one)"
  # -p -1: the server takes a free port and logs it.
  "$NATS_SERVER" -js -sd "$WORK/jetstream" -a 127.0.0.1 -p -1 >"$WORK/nats.log" 2>&1 &
  PIDS+=($!)
  wait_until 30 "nats-server did not start" log_has "$WORK/nats.log" "Server is ready"
  NATS_PORT="$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/nats.log" | head -1)"
  [ -n "$NATS_PORT" ] || fail "cannot read nats-server's port from its log"
  NATS_URL="nats://127.0.0.1:$NATS_PORT"
fi
echo "== NATS with JetStream at $NATS_URL"

# One config for both relays: the scale-out fabric on.
cat >"$WORK/relay.yaml" <<YAML
backends:
  nats:
    fabric: true          # stream PUSHMESH_FABRIC, subjects pushmesh.fabric.node.<node id>
    fabricMaxPerNode: 10000
limits:
  maxTtl: 86400           # messages wait in the fabric one day at most
YAML

echo "== relay 1 and relay 2 (not linked to each other), devices A → relay 1 and B → relay 2"
pm_start relay1 --log-level debug --config "$WORK/relay.yaml" --nats "$NATS_URL" --https off --grpc 127.0.0.1:0
pm_start relay2 --log-level debug --config "$WORK/relay.yaml" --nats "$NATS_URL" --https off --grpc 127.0.0.1:0
R1="grpcs://$RELAY1_ID@$RELAY1_GRPC"
R2="grpcs://$RELAY2_ID@$RELAY2_GRPC"
"${PUSHMESH[@]}" init --home "$WORK/a" >/dev/null
"${PUSHMESH[@]}" init --home "$WORK/b" >/dev/null
pm_exchange_cards a b
pm_start a --https off --grpc off --peer "$R1"
# B prefers relay 2 and fails over to relay 1 (one link at a time; docs/configuration.md, "Peers").
pm_start b --https off --grpc off --peer "$R2|$R1"
pm_linked relay1 "$A_ID"
pm_linked relay2 "$B_ID"

cat <<TXT

relay 1   $RELAY1_ID   local API http://$RELAY1_LOCAL   peers dial $R1
relay 2   $RELAY2_ID   local API http://$RELAY2_LOCAL   peers dial $R2
device A  $A_ID   local API http://$A_LOCAL   (attached to relay 1)
device B  $B_ID   local API http://$B_LOCAL   (attached to relay 2)
NATS      $NATS_URL (JetStream; logs and store in $WORK)

Watch B's messages:   curl -N http://$B_LOCAL/msg/chat
Send from A to B:     curl -X POST -H 'content-type: application/json' -d '{"text":"hi"}' \\
                        'http://$A_LOCAL/msg/chat?to=$B_ID&receipt=1'
Delivery status:      curl http://$A_LOCAL/msg/status/<id>
Fail over:            kill -9 $RELAY2_PID   # relay 2; B re-links to relay 1 by itself,
                      and what was sent to B meanwhile waited in JetStream for it.
TXT

if [ "${ONCE:-0}" = 1 ]; then
  echo
  id="$(pm_send "$A_LOCAL" "$B_ID" chat '{"text":"A to B, relay 1 → NATS → relay 2"}')"
  [ -n "$id" ] || fail "A could not send"
  wait_until 60 "A's message did not reach B" pm_has_message "$B_LOCAL" chat "$id"
  log_has "$WORK/relay1.log" '"msg":"handed a message to the fabric"' "\"msg_id\":\"$id\"" || fail "relay 1 did not hand A's message to the fabric"
  echo "== B's app received (path: the relay that handed it to NATS, then the one that took it out):"
  curl -fsS "http://$B_LOCAL/msg/chat"
  echo
  wait_until 60 "no receipt from B for A's message" pm_delivered "$A_LOCAL" "$id"
  echo "(A has B's receipt: delivered)"

  id="$(pm_send "$B_LOCAL" "$A_ID" chat '{"text":"B to A, relay 2 → NATS → relay 1"}')"
  [ -n "$id" ] || fail "B could not send"
  wait_until 60 "B's message did not reach A" pm_has_message "$A_LOCAL" chat "$id"
  log_has "$WORK/relay2.log" '"msg":"handed a message to the fabric"' "\"msg_id\":\"$id\"" || fail "relay 2 did not hand B's message to the fabric"
  echo "== A's app received:"
  curl -fsS "http://$A_LOCAL/msg/chat"
  echo
  wait_until 60 "no receipt from A for B's message" pm_delivered "$B_LOCAL" "$id"
  echo "(B has A's receipt: delivered)"
  if grep -q "relay 1 → NATS" "$WORK/relay1.log" "$WORK/relay2.log" "$WORK/nats.log" 2>/dev/null; then
    fail "a relay or NATS logged the plaintext"
  fi
  echo "(neither relay's log holds the text: they route what they cannot read)"
  exit 0
fi
echo
echo "Ctrl-C stops everything this script started."
wait
