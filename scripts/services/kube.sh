#!/usr/bin/env bash
# A real Kubernetes API server for integration tests: etcd v3.7.3 + kube-apiserver v1.37.2 (and kubectl
# v1.37.2 as a tool), built once with the Go toolchain from the Go module proxy into
# $CHAINWATCH_CACHE/kube/ (../shared/recipes/PEERS.md §1), run on loopback with a fresh test PKI, an
# admin token (system:masters) and all state under $CHAINWATCH_RUN/kube (fresh per start).
#
#   kube.sh start              build once (cached), fresh PKI + etcd + kube-apiserver, print exports
#   kube.sh stop               stop kube-apiserver (and wait), then etcd (idempotent)
#   kube.sh status             exit 0 when kube-apiserver answers /readyz
#   kube.sh restart-apiserver  restart kube-apiserver alone (etcd and its data stay): a watch's
#                              connection drops and its old resourceVersion may be compacted away
#   kube.sh compact            compact etcd up to its current revision (prints it)
#   kube.sh build              only build (cold-build measurement, CI cache warm-up)
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# Why built from source: Debian's etcd 3.4 lacks RequestWatchProgress (a watch without a
# resourceVersion then fails with 504), and Debian's kubernetes-client clashes with the preinstalled
# gcloud kubectl package. kubernetes' go.mod replaces its 33 staging modules with ./staging paths, so
# `go install` cannot build it: a wrapper module requires k8s.io/kubernetes and replaces each staging
# module with its published k8s.io/X v0.<minor>.<patch>; etcd's main module has replace directives too,
# so a 10-line main calls etcdmain.Main.
# Shutdown order matters: kube-apiserver first (it exits in ~2 s); with etcd gone first it retries
# etcd for more than a minute.
# Env: CHAINWATCH_KUBE_ETCD_PORT (client; peer +1; default: the checkout port block offset 90/91),
#      CHAINWATCH_KUBE_PORT (kube-apiserver, offset 92), CHAINWATCH_KUBE_COMPACTION_INTERVAL (the
#      apiserver's --etcd-compaction-interval, default 5m; tests that need a 410 Gone set it short),
#      CHAINWATCH_RUN.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

KUBE_VERSION=v1.37.2
STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.7.3
KUBE_BIN="$CHAINWATCH_CACHE/kube/kubernetes-$KUBE_VERSION/bin"
ETCD_BIN="$CHAINWATCH_CACHE/kube/etcd-$ETCD_VERSION/bin"
ETCD_PORT=$CHAINWATCH_KUBE_ETCD_PORT
ETCD_PEER_PORT=$((ETCD_PORT + 1))
PORT=$CHAINWATCH_KUBE_PORT
COMPACTION=${CHAINWATCH_KUBE_COMPACTION_INTERVAL:-5m}
RUN="$CHAINWATCH_RUN/kube"

log() { echo "kube.sh: $*" >&2; }

# build_etcd_into TMP (run by cached_build under its lock).
build_etcd_into() {
  command -v go >/dev/null || { log "go not on PATH"; return 1; }
  log "building etcd $ETCD_VERSION into $ETCD_BIN (one-time, minutes)"
  local src="$CHAINWATCH_CACHE/kube/etcd-$ETCD_VERSION/src" tmp=$1 t0=$SECONDS
  rm -rf "$src"; mkdir -p "$src"
  (
    cd "$src"
    go mod init chainwatch.local/etcdbuild >&2
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > main.go
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    go mod tidy >&2
    nice -n 5 go build -trimpath -ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" -o "$tmp/etcd" . >&2
  ) || return 1
  log "etcd built in $((SECONDS - t0))s"
}

# build_kube_into TMP: kube-apiserver and kubectl through the wrapper module. Without the -X version
# ldflags the binaries report v0.0.0-master+$Format:%H$ (clients then mis-detect the server version).
build_kube_into() {
  command -v go >/dev/null || { log "go not on PATH"; return 1; }
  log "building kube-apiserver + kubectl $KUBE_VERSION into $KUBE_BIN (one-time, 6-10 minutes)"
  local src="$CHAINWATCH_CACHE/kube/kubernetes-$KUBE_VERSION/src" tmp=$1 t0=$SECONDS
  rm -rf "$src"; mkdir -p "$src"
  (
    cd "$src"
    printf 'module chainwatch.local/kubebuild\n\ngo 1.26\n' > go.mod
    local modfile
    modfile=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
    [[ -f "$modfile" ]] || { log "no go.mod for k8s.io/kubernetes@$KUBE_VERSION"; exit 1; }
    { printf 'module chainwatch.local/kubebuild\n\ngo 1.26.0\n\ngodebug default=go1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
      sed -n '/^replace (/,/^)/p' "$modfile" | grep '=> ./staging' | awk -v v="$STAGING_VERSION" '{print "\t"$1" => "$1" "v}'
      echo ')'; } > go.mod
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" "k8s.io/kubernetes/cmd/kubectl@$KUBE_VERSION" >&2
    local ld="-s -w" p minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    local t1=$SECONDS
    nice -n 5 go build -trimpath -ldflags="$ld" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
    log "kube-apiserver built in $((SECONDS - t1))s"
    t1=$SECONDS
    nice -n 5 go build -trimpath -ldflags="$ld" -o "$tmp/kubectl" k8s.io/kubernetes/cmd/kubectl >&2
    log "kubectl built in $((SECONDS - t1))s"
  ) || return 1
  log "kubernetes built in $((SECONDS - t0))s"
}

build() {
  cached_build "$ETCD_BIN" build_etcd_into
  cached_build "$KUBE_BIN" build_kube_into
}

# shellcheck source=procs.bash
source "$HERE/procs.bash"

# make_pki DIR: a throwaway CA (ECDSA P-256), kube-apiserver's serving certificate for
# localhost/127.0.0.1, a second one under the same CA for test webhook servers (so a test's
# caBundle is the one CA file), and the ServiceAccount token signing key pair.
make_pki() {
  local d=$1 name
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 3650 \
      -subj "/CN=Chainwatch Test Kubernetes CA/O=chainwatch-test" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' > serving.ext
    for name in apiserver webhook; do
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=localhost" 2>/dev/null
      openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" -days 365 -extfile serving.ext 2>/dev/null
      rm -f "$name.csr"
    done
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

etcd_ready() { curl -fs -o /dev/null "http://127.0.0.1:$ETCD_PORT/health"; }
apiserver_ready() {
  curl -fs -o /dev/null --cacert "$RUN/pki/ca.pem" -H "Authorization: Bearer $(cut -d, -f1 "$RUN/tokens.csv" | head -1)" \
    "https://127.0.0.1:$PORT/readyz"
}

start_etcd() {
  spawn etcd "$ETCD_BIN/etcd" --name chainwatch-test --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "chainwatch-test=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn
  wait_for etcd 60 etcd_ready
}

# The flags are written once per start (apiserver.args) so restart-apiserver runs the same server
# (same port, token file, compaction interval) against the same etcd. Without a watch termination
# grace period an open watch keeps a SIGTERMed kube-apiserver alive past any sane wait (it was
# SIGKILLed after 20 s); with 1 s it closes its watches and exits in ~2 s.
write_apiserver_args() {
  printf '%s\n' \
    "--etcd-servers=http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 "--secure-port=$PORT" \
    "--tls-cert-file=$RUN/pki/apiserver.pem" "--tls-private-key-file=$RUN/pki/apiserver.key" \
    "--client-ca-file=$RUN/pki/ca.pem" \
    "--token-auth-file=$RUN/tokens.csv" --authorization-mode=RBAC \
    "--service-account-key-file=$RUN/pki/sa.pub" "--service-account-signing-key-file=$RUN/pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-cluster-ip-range=10.96.0.0/24 --endpoint-reconciler-type=none \
    "--etcd-compaction-interval=$COMPACTION" --profiling=false \
    --shutdown-watch-termination-grace-period=1s \
    "--cert-dir=$RUN/certs" "--admission-control-config-file=$RUN/admission.yaml" > "$RUN/apiserver.args"
}

# How the API server authenticates to admission webhooks (collectors.admission refuses an
# unauthenticated caller): every webhook ('*') gets the bearer token WEBHOOK_TOKEN.
write_admission_config() {
  cat > "$RUN/webhook-kubeconfig" <<YAML
apiVersion: v1
kind: Config
users:
- name: "*"
  user: {token: "$WEBHOOK_TOKEN"}
YAML
  cat > "$RUN/admission.yaml" <<YAML
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ValidatingAdmissionWebhook
  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmissionConfiguration, kubeConfigFile: "$RUN/webhook-kubeconfig"}
- name: MutatingAdmissionWebhook
  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmissionConfiguration, kubeConfigFile: "$RUN/webhook-kubeconfig"}
YAML
}

start_apiserver() {
  local args
  mapfile -t args < "$RUN/apiserver.args"
  spawn apiserver "$KUBE_BIN/kube-apiserver" "${args[@]}"
  wait_for apiserver 120 apiserver_ready
}

# kubeconfig for kubectl (and for clients that load one, e.g. @kubernetes/client-node), admin token.
write_kubeconfig() {
  cat > "$RUN/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: chainwatch-test
  cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: "$RUN/pki/ca.pem"}
users:
- name: admin
  user: {token: "$ADMIN_TOKEN"}
contexts:
- name: chainwatch-test
  context: {cluster: chainwatch-test, user: admin}
current-context: chainwatch-test
YAML
}

# compact: compact etcd's history up to its current revision, through etcd's own gRPC-gateway (no
# etcdctl): together with restart-apiserver (which empties the apiserver's watch cache) any older
# resourceVersion then answers 410 Gone. Prints the revision compacted to.
compact() {
  local rev
  rev=$(curl -fsS -X POST "http://127.0.0.1:$ETCD_PORT/v3/kv/range" -d '{"key":"AA=="}' |
    sed -n 's/.*"revision":"\{0,1\}\([0-9]*\).*/\1/p')
  [[ -n "$rev" ]] || { log "no etcd revision"; return 1; }
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$ETCD_PORT/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}"
  echo "$rev"
}

# Stop order: kube-apiserver first and wait for it; only then etcd.
stop_all() {
  stop_pidfile "$(pidfile apiserver)" TERM 20
  stop_pidfile "$(pidfile etcd)" TERM 10
}

print_exports() {
  echo "export CHAINWATCH_TEST_KUBE_URL=https://127.0.0.1:$PORT"
  echo "export CHAINWATCH_TEST_KUBE_TOKEN=$ADMIN_TOKEN"
  echo "export CHAINWATCH_TEST_KUBE_USER=chainwatch-test"
  echo "export CHAINWATCH_TEST_KUBE_USER_TOKEN=$USER_TOKEN"
  echo "export CHAINWATCH_TEST_KUBE_CA=$RUN/pki/ca.pem"
  echo "export CHAINWATCH_TEST_KUBE_WEBHOOK_CERT=$RUN/pki/webhook.pem"
  echo "export CHAINWATCH_TEST_KUBE_WEBHOOK_KEY=$RUN/pki/webhook.key"
  echo "export CHAINWATCH_TEST_KUBE_WEBHOOK_TOKEN=$WEBHOOK_TOKEN"
  echo "export CHAINWATCH_TEST_KUBE_CONFIG=$RUN/kubeconfig"
  echo "export CHAINWATCH_TEST_KUBE_KUBECTL=$KUBE_BIN/kubectl"
  echo "export CHAINWATCH_TEST_KUBE_ETCD_URL=http://127.0.0.1:$ETCD_PORT"
  echo "export CHAINWATCH_TEST_KUBE_SCRIPT=$HERE/kube.sh"
}

case "${1:-}" in
  build) build ;;
  start)
    t0=$(date +%s%N)
    build
    stop_all
    rm -rf "$RUN"; mkdir -p "$RUN/logs"
    make_pki "$RUN/pki"
    ADMIN_TOKEN=$(openssl rand -hex 24)
    USER_TOKEN=$(openssl rand -hex 24)
    WEBHOOK_TOKEN=$(openssl rand -hex 24)
    write_admission_config
    # token,user,uid,"groups": the admin is system:masters (RBAC bypass); the user has no roles at
    # all until a test binds some (to prove what a least-privilege ClusterRole allows).
    printf '%s,admin,admin-uid,"system:masters"\n%s,chainwatch-test,chainwatch-test-uid\n' "$ADMIN_TOKEN" "$USER_TOKEN" > "$RUN/tokens.csv"
    t1=$(date +%s%N)
    start_etcd
    t2=$(date +%s%N)
    write_apiserver_args
    start_apiserver
    t3=$(date +%s%N)
    write_kubeconfig
    log "kube-apiserver $KUBE_VERSION up on https://127.0.0.1:$PORT (etcd :$ETCD_PORT): PKI $(( (t1 - t0) / 1000000 )) ms," \
      "etcd healthy in $(( (t2 - t1) / 1000000 )) ms, apiserver /readyz in $(( (t3 - t2) / 1000000 )) ms"
    print_exports
    ;;
  restart-apiserver)
    [[ -f "$RUN/apiserver.args" ]] || { log "not started (no $RUN/apiserver.args)"; exit 1; }
    t0=$(date +%s%N)
    stop_pidfile "$(pidfile apiserver)" TERM 20
    start_apiserver
    log "kube-apiserver restarted in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    ;;
  compact) compact ;;
  stop) [[ -d "$RUN" ]] && stop_all; true ;;
  status) [[ -f "$RUN/tokens.csv" ]] && apiserver_ready ;;
  *) echo "usage: $0 start|stop|status|restart-apiserver|compact|build" >&2; exit 2 ;;
esac
