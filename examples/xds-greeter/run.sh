#!/usr/bin/env bash
# A signed xDS control plane (docs/xds.md): the owner (node A's key) signs
# Envoy resources that route xds:///greeter, node A publishes them, NATS
# carries them to node B, and node B's xDS server (--xds) serves them to a
# gRPC app on its machine (@grpc/grpc-js + @grpc/grpc-js-xds, no pushmesh
# code). Version 2 names another server: the app's calls move to it.
#
#   npx tsc -p .                    # once, from the repository root
#   examples/xds-greeter/run.sh     # everything on free ports; Ctrl-C stops it all
#
# NATS_URL=nats://HOST:PORT uses a NATS server with JetStream you run
# yourself; otherwise the script starts its own (NATS_SERVER=/path/to/nats-server).
# ONCE=1 publishes version 1 and 2, shows the app following them, and stops
# (exit 0; non-zero with the reason on stderr when something does not work).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
pm_setup xds-greeter
HERE="$ROOT/examples/xds-greeter"

if [ -z "${NATS_URL:-}" ]; then
  NATS_SERVER="${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}"
  [ -x "$NATS_SERVER" ] || fail "nats-server not found (set NATS_SERVER=/path/to/nats-server, or NATS_URL to use a running one)"
  "$NATS_SERVER" -js -sd "$WORK/jetstream" -a 127.0.0.1 -p -1 >"$WORK/nats.log" 2>&1 &
  PIDS+=($!)
  wait_until 30 "nats-server did not start" log_has "$WORK/nats.log" "Server is ready"
  NATS_PORT="$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/nats.log" | head -1)"
  [ -n "$NATS_PORT" ] || fail "cannot read nats-server's port from its log"
  NATS_URL="nats://127.0.0.1:$NATS_PORT"
fi
echo "== NATS at $NATS_URL"

# The owner of namespace xds is node A's key; both nodes trust it.
OWNER="$("${PUSHMESH[@]}" init --home "$WORK/a")"
pm_start a --nats "$NATS_URL" --https off --grpc off --trust "xds=$OWNER"
pm_start b --nats "$NATS_URL" --https off --grpc off --trust "xds=$OWNER" --xds 127.0.0.1:0 --log-level debug
B_XDS="$(grep -m1 '"msg":"pushmesh node running"' "$WORK/b.log" | json_get xds)"
[ -n "$B_XDS" ] && [ "$B_XDS" != off ] || fail "node B names no xDS address"

# Two gRPC servers on free ports.
start_greeter() {
  node "$HERE/greeter-server.mjs" "$1" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  wait_until 30 "greeter $1 did not start" grep -q '^listening ' "$WORK/$1.log"
  sed -n 's/^listening //p' "$WORK/$1.log"
}
PORT_ONE="$(start_greeter one)"
PORT_TWO="$(start_greeter two)"

# resources PORT: the Envoy resources (YAML, as Envoy's docs write them) for xds:///greeter → 127.0.0.1:PORT.
resources() {
  cat <<YAML
resources:
  - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
    name: greeter
    apiListener:
      apiListener:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        rds: { configSource: { ads: {}, resourceApiVersion: V3 }, routeConfigName: greeter-route }
        httpFilters:
          - name: router
            typedConfig: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  - "@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
    name: greeter-route
    virtualHosts:
      - { name: greeter, domains: [greeter], routes: [{ match: { prefix: "" }, route: { cluster: greeter-cluster } }] }
  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
    name: greeter-cluster
    type: EDS
    connectTimeout: 0.25s
    edsClusterConfig: { edsConfig: { ads: {}, resourceApiVersion: V3 } }
    lbPolicy: ROUND_ROBIN
  - "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
    clusterName: greeter-cluster
    endpoints:
      - locality: { region: local }
        loadBalancingWeight: 1
        lbEndpoints:
          - endpoint: { address: { socketAddress: { address: 127.0.0.1, portValue: $1 } } }
YAML
}

# publish VERSION PORT: the owner signs version VERSION and hands it to node A (not B: NATS carries it).
publish() {
  resources "$2" >"$WORK/greeter-v$1.yaml"
  "${PUSHMESH[@]}" config sign --home "$WORK/a" --namespace xds --name greeter --version "$1" "$WORK/greeter-v$1.yaml" >"$WORK/greeter-v$1.jws"
  "${PUSHMESH[@]}" config publish --home "$WORK/a" --local "$A_LOCAL" "$WORK/greeter-v$1.jws" >/dev/null
  wait_until 30 "node B does not serve version $1" log_has "$WORK/b.log" '"msg":"xds snapshot changed"' "\"version\":\"$1-"
  echo "== version $1 signed, published to node A, served by node B (xds:///greeter → 127.0.0.1:$2)"
}

export GRPC_XDS_BOOTSTRAP_CONFIG="{\"xds_servers\":[{\"server_uri\":\"$B_XDS\",\"channel_creds\":[{\"type\":\"insecure\"}],\"server_features\":[\"xds_v3\"]}],\"node\":{\"id\":\"greeter-app\",\"locality\":{\"zone\":\"local\"}}}"

cat <<TXT

node A    $A_ID   local API http://$A_LOCAL   (publishes; owner of namespace xds)
node B    $B_ID   local API http://$B_LOCAL   xDS server $B_XDS
servers   one on 127.0.0.1:$PORT_ONE, two on 127.0.0.1:$PORT_TWO
NATS      $NATS_URL (logs in $WORK)
TXT

publish 1 "$PORT_ONE"
if [ "${ONCE:-0}" = 1 ]; then
  node "$HERE/greeter-app.mjs" --until one || fail "the app did not reach server one"
  publish 2 "$PORT_TWO"
  node "$HERE/greeter-app.mjs" --until two || fail "the app did not move to server two"
  exit 0
fi
node "$HERE/greeter-app.mjs" &
PIDS+=($!)
cat <<TXT

The app calls xds:///greeter once a second (above). Move it to server two:
  $(printf '%q ' "${PUSHMESH[@]}")config sign --home $WORK/a --namespace xds --name greeter --version 2 FILE.yaml > v2.jws
  $(printf '%q ' "${PUSHMESH[@]}")config publish --local $A_LOCAL v2.jws
(FILE.yaml: $WORK/greeter-v1.yaml with portValue $PORT_TWO.)
Ctrl-C stops everything this script started.
TXT
wait
