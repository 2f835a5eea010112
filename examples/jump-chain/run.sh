#!/usr/bin/env bash
# A jump-host chain on one machine: device A → relay R1 ← relay R2 ← device B
# (docs/routing.md). A and B listen on nothing (as behind NAT) and only dial
# out; R2 dials R1. A sends to B by node ID; the message crosses both relays,
# which can route it but not read it, and B's app shows it with its path.
#
#   npx tsc -p .                     # once, from the repository root
#   examples/jump-chain/run.sh       # everything on free ports; Ctrl-C stops it all
#
# ONCE=1 sends one message, shows it arriving, and stops (a smoke test).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
pm_setup jump-chain

echo "== relay R1, relay R2 dialing R1, devices A and B dialing out"
pm_start r1 --https off --grpc 127.0.0.1:0
pm_start r2 --https off --grpc 127.0.0.1:0 --peer "grpcs://$R1_ID@$R1_GRPC"
pm_start b --https off --grpc off --peer "grpcs://$R2_ID@$R2_GRPC"
pm_start a --https off --grpc off --peer "grpcs://$R1_ID@$R1_GRPC"
# End-to-end encryption needs the destination's card (its keys): A and B learn each other's.
pm_exchange_cards a b

cat <<TXT

device A  $A_ID   local API http://$A_LOCAL
relay R1  $R1_ID
relay R2  $R2_ID
device B  $B_ID   local API http://$B_LOCAL

Watch B's messages:      curl -N http://$B_LOCAL/msg/chat
Send from A to B:        curl -X POST -H 'content-type: application/json' -d '{"text":"hi"}' \\
                           'http://$A_LOCAL/msg/chat?to=$B_ID&receipt=1'
A's routes:              curl http://$A_LOCAL/routes
TXT

if [ "${ONCE:-}" = "1" ]; then
  # Wait until R1 has learned (from R2's signed announcement) that B sits behind R2.
  wait_until 30 "R1 did not learn a route to B" bash -c "curl -fsS 'http://$R1_LOCAL/routes' | grep -q '$B_ID'"
  id="$(pm_send "$A_LOCAL" "$B_ID" chat '{"text":"hello across two relays"}')"
  [ -n "$id" ] || fail "A could not send"
  echo
  wait_until 30 "the message did not arrive" pm_has_message "$B_LOCAL" chat "$id"
  echo "== what B's app received:"
  curl -fsS "http://$B_LOCAL/msg/chat"
  echo
  if grep -q "hello across" "$WORK/r1.log" "$WORK/r2.log"; then fail "a relay logged the plaintext!"; fi
  echo "(the relays' logs do not contain the text)"
  exit 0
fi
echo
echo "Ctrl-C stops all four nodes."
wait
