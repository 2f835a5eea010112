# Shell helpers shared by the example scripts (sourced, not run):
#
#   . "$(dirname "$0")/../lib.sh"
#   pm_setup jump-chain            # ROOT, PUSHMESH, WORK; cleanup on exit
#   pm_start r1 --grpc 127.0.0.1:0 # a node on free ports; sets R1_ID, R1_LOCAL, R1_GRPC, R1_HTTPS
#
# Every process is started in the background, remembered by its PID, and
# stopped by that PID when the script exits (Ctrl-C included). Nodes take
# port 0 and report the ports they got in their "pushmesh node running" log
# line, so two runs (or a test suite) never collide on a port.
# Needs bash 4, node and curl.

PIDS=()

# fail MESSAGE: one line on stderr (with where the logs are), exit 1.
fail() {
  if [ -n "${WORK:-}" ] && compgen -G "$WORK/*.log" >/dev/null; then
    KEEP_WORK=1
    echo "error: $* (logs in $WORK)" >&2
  else
    echo "error: $*" >&2
  fi
  exit 1
}

# pm_setup NAME: the repository root, the CLI, a fresh work folder; stops everything on exit.
pm_setup() {
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  PUSHMESH=(node "$ROOT/dist/src/cli/main.js")
  [ -f "$ROOT/dist/src/cli/main.js" ] || { echo "build first: (cd $ROOT && npx tsc -p .)" >&2; exit 1; }
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/pushmesh-$1.XXXXXX")"
  trap pm_cleanup EXIT
  trap 'exit 130' INT TERM
}

# Stops every process this script started (by PID: TERM, then KILL after 10 s), removes the work folder.
pm_cleanup() {
  local code=$? pid
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$code" != 0 ] && [ "${KEEP_WORK:-0}" = 1 ]; then
    echo "(logs kept in $WORK)" >&2
  else
    rm -rf "$WORK"
  fi
}

# wait_until SECONDS DESCRIPTION COMMAND...: runs COMMAND every 0.1 s until it succeeds; fails with DESCRIPTION after SECONDS.
wait_until() {
  local limit=$1 what=$2
  shift 2
  local tries=$((limit * 10))
  for _ in $(seq 1 "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "$what: not within $limit s"
}

# json_get FIELD: reads one JSON object on stdin, prints FIELD (a top-level key; empty when absent or null).
json_get() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v==null?"":typeof v==="string"?v:JSON.stringify(v))})' "$1"
}

# log_has FILE TEXT...: true when one line of FILE contains every TEXT.
log_has() {
  local file=$1 line t ok
  shift
  [ -f "$file" ] || return 1
  while IFS= read -r line; do
    ok=1
    for t in "$@"; do [[ "$line" == *"$t"* ]] || { ok=0; break; }; done
    [ "$ok" = 1 ] && return 0
  done <"$file"
  return 1
}

# pm_start NAME ARGS...: `pushmesh run --home $WORK/NAME --local 127.0.0.1:0 ARGS...` in the background
# (log: $WORK/NAME.log); waits for its "pushmesh node running" line and sets <NAME>_ID, <NAME>_LOCAL,
# <NAME>_GRPC, <NAME>_HTTPS (NAME upper-cased; the ports the node actually got; "off" when off).
pm_start() {
  local name=$1 var
  shift
  var="$(echo "$name" | tr '[:lower:]-' '[:upper:]_')"
  "${PUSHMESH[@]}" run --home "$WORK/$name" --local 127.0.0.1:0 "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  printf -v "${var}_PID" '%s' "$!"
  wait_until 60 "$name did not start" log_has "$WORK/$name.log" '"msg":"pushmesh node running"'
  local line
  line="$(grep -m1 '"msg":"pushmesh node running"' "$WORK/$name.log")"
  printf -v "${var}_ID" '%s' "$(json_get id <<<"$line")"
  printf -v "${var}_LOCAL" '%s' "$(json_get local <<<"$line")"
  printf -v "${var}_GRPC" '%s' "$(json_get grpc <<<"$line")"
  printf -v "${var}_HTTPS" '%s' "$(json_get https <<<"$line")"
}

# pm_linked NAME PEER_ID: until node NAME logs that a link with PEER_ID is ready (60 s at most).
pm_linked() {
  wait_until 60 "$1 has no link to ${2:0:12}…" log_has "$WORK/$1.log" '"msg":"peer link ready"' "\"peer\":\"$2\""
}

# pm_exchange_cards NAME NAME: each node learns the other's card (its keys: end-to-end encryption needs them).
pm_exchange_cards() {
  "${PUSHMESH[@]}" card --home "$WORK/$1" >"$WORK/$1.card.json"
  "${PUSHMESH[@]}" card --home "$WORK/$2" >"$WORK/$2.card.json"
  "${PUSHMESH[@]}" peer add "$WORK/$2.card.json" --home "$WORK/$1" >/dev/null
  "${PUSHMESH[@]}" peer add "$WORK/$1.card.json" --home "$WORK/$2" >/dev/null
}

# pm_send FROM_LOCAL TO_ID TOPIC JSON: POST through the local API (with a receipt); prints the message ID.
pm_send() {
  curl -fsS -X POST -H 'content-type: application/json' -d "$4" "http://$1/msg/$3?to=$2&receipt=1" | json_get id
}

# pm_has_message LOCAL TOPIC ID: true once the node's app can read message ID on TOPIC.
pm_has_message() {
  curl -fsS "http://$1/msg/$2" | grep -q "\"id\":\"$3\""
}

# pm_delivered LOCAL ID: true once the origin has a receipt for message ID.
pm_delivered() {
  [ "$(curl -fsS "http://$1/msg/status/$2" | json_get state)" = delivered ]
}
