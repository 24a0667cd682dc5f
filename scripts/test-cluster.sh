#!/usr/bin/env bash
# A real Kubernetes API server (kube-apiserver 1.20.2 + etcd) on loopback, for rhelm's tests.
#
# Usage:
#   scripts/test-cluster.sh install      apt deps, then build and cache kube-apiserver (once)
#   scripts/test-cluster.sh start DIR    start etcd + kube-apiserver with all state in DIR;
#                                        prints DIR/kubeconfig as the last line of stdout
#   scripts/test-cluster.sh stop DIR     stop the processes recorded in DIR
#   scripts/test-cluster.sh status DIR   exit 0 if the API server in DIR is ready
#
# kube-apiserver is built from Debian bookworm's `kubernetes` source package (1.20.2) with
# golang-1.19, after replacing the vendored modern-go/reflect2 v1.0.1 (crashes under Go >= 1.18)
# with Debian's v1.0.2. The binary is cached at
#   ${RHELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rhelm}/kube-apiserver-1.20.2
# Every step is skipped when already done. Progress goes to stderr; stdout carries only results.
# There is no controller-manager, scheduler or kubelet: see shared/kube-test-cluster.md.
set -euo pipefail

K8S_VERSION=1.20.2
CACHE_DIR="${RHELM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/rhelm}"
APISERVER_BIN="$CACHE_DIR/kube-apiserver-$K8S_VERSION"
GO_BIN_DIR=/usr/lib/go-1.19/bin
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
READY_TIMEOUT="${RHELM_CLUSTER_TIMEOUT:-60}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[test-cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------------------------------------
# install

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root apt-get update -qq >&2
        APT_UPDATED=1
    fi
}

pkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Source packages are needed for `apt-get source`; enable them only if not yet enabled.
enable_deb_src() {
    local sources=/etc/apt/sources.list.d/debian.sources
    if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        return 0
    fi
    if [ -f "$sources" ]; then
        log "enabling deb-src in $sources"
        as_root sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
    elif [ -f /etc/apt/sources.list ] && grep -qE '^deb ' /etc/apt/sources.list; then
        log "enabling deb-src via /etc/apt/sources.list.d/rhelm-deb-src.list"
        grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
            as_root tee /etc/apt/sources.list.d/rhelm-deb-src.list >/dev/null
    else
        die "cannot find apt sources to enable deb-src in"
    fi
    APT_UPDATED=0 # the source index must be fetched even if an update already ran
}

ensure_packages() {
    local missing=() p
    for p in "$@"; do
        pkg_installed "$p" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_update_once
        log "apt-get install ${missing[*]}"
        as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
}

build_apiserver() {
    local build="$CACHE_DIR/build"
    local src="$build/kubernetes-$K8S_VERSION"
    mkdir -p "$build/home"

    enable_deb_src
    local tarballs=("$build"/kubernetes_*.orig.tar.gz)
    if [ ! -f "${tarballs[0]}" ]; then
        apt_update_once
        log "downloading the kubernetes source package"
        (cd "$build" && apt-get source -qq --download-only kubernetes >&2)
        tarballs=("$build"/kubernetes_*.orig.tar.gz)
    fi
    local tarball="${tarballs[0]}"
    case "$tarball" in
        *"$K8S_VERSION.orig.tar.gz") ;;
        *) die "unexpected source package $tarball (want Kubernetes $K8S_VERSION)" ;;
    esac

    rm -rf "$src"
    log "unpacking $(basename "$tarball")"
    tar -xzf "$tarball" -C "$build"
    [ -d "$src/cmd/kube-apiserver" ] || die "$tarball did not unpack to $src"

    # reflect2 v1.0.1 crashes under Go >= 1.18; Debian ships v1.0.2. Keep LICENSE etc.
    local vendored="$src/vendor/github.com/modern-go/reflect2"
    log "patching $vendored with Debian's reflect2"
    find "$vendored" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
    find "$REFLECT2_SRC" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) \
        ! -name '*_test.go' -exec cp {} "$vendored/" \;

    log "building kube-apiserver (several minutes; log: $build/make.log)"
    local start=$SECONDS
    # The tarball is a `git archive`: hack/lib/version.sh takes v1.20.2 and its commit from it.
    if ! (cd "$src" && env -u GOFLAGS -u GOPATH -u GOROOT -u GOBIN \
        PATH="$GO_BIN_DIR:$PATH" CGO_ENABLED=0 HOME="$build/home" GOPROXY=off \
        make WHAT=cmd/kube-apiserver >"$build/make.log" 2>&1); then
        tail -n 40 "$build/make.log" >&2
        die "kube-apiserver build failed (full log: $build/make.log)"
    fi
    log "built in $((SECONDS - start)) s"

    install -m 0755 "$src/_output/bin/kube-apiserver" "$APISERVER_BIN.tmp"
    mv -f "$APISERVER_BIN.tmp" "$APISERVER_BIN"
    # Free the disk: the tree and the Go build cache (~1.2 GB); keep the source tarball.
    chmod -R u+w "$src" "$build/home" 2>/dev/null || true
    rm -rf "${src:?}" "${build:?}/home"
    log "cached $APISERVER_BIN"
}

ensure_kubectl() {
    if ! command -v kubectl >/dev/null 2>&1; then
        ensure_packages kubernetes-client
    fi
}

cmd_install() {
    mkdir -p "$CACHE_DIR"
    # Tests may start several clusters at once: only one of them installs.
    (
        flock 9
        local build_deps=()
        if [ ! -x "$APISERVER_BIN" ]; then
            enable_deb_src # before the one `apt-get update`
            build_deps=(golang-1.19 golang-github-modern-go-reflect2-dev rsync make)
        fi
        ensure_packages etcd-server openssl curl "${build_deps[@]}"
        ensure_kubectl
        if [ ! -x "$APISERVER_BIN" ]; then
            build_apiserver
        fi
    ) 9>"$CACHE_DIR/install.lock"
}

install_needed() {
    [ -x "$APISERVER_BIN" ] && command -v etcd >/dev/null 2>&1 &&
        command -v openssl >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 &&
        command -v kubectl >/dev/null 2>&1 && return 1
    return 0
}

# ---------------------------------------------------------------------------------------------
# start / stop / status

# A port nobody has a TCP socket on (any state, v4 or v6), below the ephemeral range.
port_in_use() {
    local hex
    hex="$(printf '%04X' "$1")"
    awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

pick_port() {
    local port i taken
    for i in $(seq 1 200); do
        port=$((20000 + RANDOM % 12000))
        taken=0
        for p in "${PICKED[@]:-}"; do [ "$p" = "$port" ] && taken=1; done
        if [ "$taken" -eq 0 ] && ! port_in_use "$port"; then
            PICKED+=("$port")
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}

abs_dir() {
    mkdir -p "$1"
    (cd "$1" && pwd -P)
}

pid_alive() { # pidfile
    local pid
    [ -f "$1" ] || return 1
    pid="$(cat "$1")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled pid: ours mention DIR on their command line.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR/"
}

load_env() {
    [ -f "$DIR/cluster.env" ] || return 1
    # shellcheck disable=SC1091
    . "$DIR/cluster.env"
}

readyz_ok() {
    load_env || return 1
    [ "$(curl -fsS --max-time 5 --cacert "$DIR/pki/ca.crt" \
        -H "Authorization: Bearer $TOKEN" "$SERVER/readyz" 2>/dev/null)" = ok ]
}

make_pki() {
    local pki="$DIR/pki"
    mkdir -p "$pki"
    chmod 700 "$pki"
    [ -f "$pki/ca.crt" ] && [ -f "$pki/apiserver.crt" ] && [ -f "$pki/sa.pub" ] && return 0
    log "creating certificates in $pki"
    cat >"$pki/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost, IP:10.96.0.1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
EOF
    (
        cd "$pki"
        openssl req -x509 -new -nodes -newkey rsa:2048 -keyout ca.key -out ca.crt -days 3650 \
            -subj "/CN=rhelm-test-ca" -config openssl.cnf -extensions ca 2>/dev/null
        openssl req -new -nodes -newkey rsa:2048 -keyout apiserver.key -out apiserver.csr \
            -subj "/CN=kube-apiserver" -config openssl.cnf 2>/dev/null
        openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out apiserver.crt -days 3650 -extfile openssl.cnf -extensions server 2>/dev/null
        openssl genrsa -out sa.key 2048 2>/dev/null
        openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
        rm -f apiserver.csr
    )
}

# Run a command detached (own session, no inherited stdio) and record its pid.
launch() { # name cmd...
    local name="$1"
    shift
    rm -f "$DIR/$name.pid"
    # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$DIR/$name.pid" "$@" \
        </dev/null >>"$DIR/$name.log" 2>&1 9>&- &
    local i
    for i in $(seq 1 50); do
        [ -s "$DIR/$name.pid" ] && return 0
        sleep 0.1
    done
    die "$name did not start"
}

stop_one() { # name
    local f="$DIR/$1.pid" pid i
    if pid_alive "$f"; then
        pid="$(cat "$f")"
        log "stopping $1 (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

write_kubeconfig() {
    cat >"$DIR/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rhelm-test
  cluster:
    server: "$SERVER"
    certificate-authority: "$DIR/pki/ca.crt"
users:
- name: rhelm-test-admin
  user:
    token: "$TOKEN"
contexts:
- name: rhelm-test
  context:
    cluster: rhelm-test
    user: rhelm-test-admin
    namespace: default
current-context: rhelm-test
preferences: {}
EOF
    chmod 600 "$DIR/kubeconfig.tmp"
    mv -f "$DIR/kubeconfig.tmp" "$DIR/kubeconfig"
}

# One attempt at starting both processes on fresh ports; returns 1 on a port clash.
try_start() {
    local etcd_port peer_port api_port i
    PICKED=()
    etcd_port="$(pick_port)"
    PICKED+=("$etcd_port")
    peer_port="$(pick_port)"
    PICKED+=("$peer_port")
    api_port="$(pick_port)"

    # A single-member etcd keeps its data across restarts; its membership ignores new peer URLs.
    : >"$DIR/etcd.log"
    launch etcd etcd --name rhelm-test --data-dir "$DIR/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" \
        --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "rhelm-test=http://127.0.0.1:$peer_port"
    for i in $(seq 1 300); do
        if curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" 2>/dev/null |
            grep -q '"health":"true"'; then
            break
        fi
        if ! pid_alive "$DIR/etcd.pid"; then
            if grep -q 'address already in use' "$DIR/etcd.log"; then
                log "etcd port clash, retrying"
                return 1
            fi
            tail -n 30 "$DIR/etcd.log" >&2
            die "etcd exited (log: $DIR/etcd.log)"
        fi
        [ "$i" -eq 300 ] && { tail -n 30 "$DIR/etcd.log" >&2; die "etcd not healthy in 30 s"; }
        sleep 0.1
    done

    SERVER="https://127.0.0.1:$api_port"
    cat >"$DIR/cluster.env" <<EOF
SERVER=$SERVER
TOKEN=$TOKEN
API_PORT=$api_port
ETCD_PORT=$etcd_port
ETCD_PEER_PORT=$peer_port
KUBECONFIG=$DIR/kubeconfig
EOF
    write_kubeconfig

    : >"$DIR/kube-apiserver.log"
    launch kube-apiserver "$APISERVER_BIN" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="$api_port" --insecure-port=0 \
        --etcd-servers="http://127.0.0.1:$etcd_port" \
        --tls-cert-file="$DIR/pki/apiserver.crt" --tls-private-key-file="$DIR/pki/apiserver.key" \
        --client-ca-file="$DIR/pki/ca.crt" --token-auth-file="$DIR/token.csv" \
        --authorization-mode=RBAC \
        --service-account-key-file="$DIR/pki/sa.pub" \
        --service-account-signing-key-file="$DIR/pki/sa.key" \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --api-audiences=https://kubernetes.default.svc.cluster.local \
        --service-cluster-ip-range=10.96.0.0/12 --disable-admission-plugins=ServiceAccount \
        --allow-privileged=true --endpoint-reconciler-type=none

    local deadline=$((SECONDS + READY_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ]; do
        readyz_ok && return 0
        if ! pid_alive "$DIR/kube-apiserver.pid"; then
            if grep -q 'address already in use' "$DIR/kube-apiserver.log"; then
                log "kube-apiserver port clash, retrying"
                stop_one etcd
                return 1
            fi
            break
        fi
        sleep 0.25
    done
    log "kube-apiserver not ready (log tail follows; full log: $DIR/kube-apiserver.log)"
    tail -n 40 "$DIR/kube-apiserver.log" >&2
    stop_one kube-apiserver
    stop_one etcd
    exit 1
}

cmd_start() {
    [ $# -eq 1 ] || usage
    if install_needed; then
        cmd_install
    fi
    DIR="$(abs_dir "$1")"
    exec 8>"$DIR/.lock"
    flock 8 # two starts into the same DIR: the second one waits and reuses the first

    if pid_alive "$DIR/kube-apiserver.pid" && readyz_ok; then
        log "already running"
        echo "$DIR/kubeconfig"
        return 0
    fi
    stop_one kube-apiserver
    stop_one etcd
    make_pki
    if [ ! -s "$DIR/token.csv" ]; then
        TOKEN="$(openssl rand -hex 24)"
        printf '%s,admin,admin-uid,"system:masters"\n' "$TOKEN" >"$DIR/token.csv"
        chmod 600 "$DIR/token.csv"
    fi
    TOKEN="$(cut -d, -f1 "$DIR/token.csv")"

    local start=$SECONDS _
    for _ in 1 2 3; do
        if try_start 8>&-; then
            log "ready in $((SECONDS - start)) s at $SERVER (state in $DIR)"
            echo "$DIR/kubeconfig"
            return 0
        fi
    done
    die "could not find free ports after 3 attempts"
}

cmd_stop() {
    [ $# -eq 1 ] || usage
    [ -d "$1" ] || { log "no such directory $1"; return 0; }
    DIR="$(abs_dir "$1")"
    stop_one kube-apiserver
    stop_one etcd
}

cmd_status() {
    [ $# -eq 1 ] || usage
    [ -d "$1" ] || { log "not running ($1 does not exist)"; return 1; }
    DIR="$(abs_dir "$1")"
    if readyz_ok; then
        log "ready at $SERVER"
        return 0
    fi
    log "not ready"
    return 1
}

main() {
    [ $# -ge 1 ] || usage
    local cmd="$1"
    shift
    case "$cmd" in
        install) [ $# -eq 0 ] || usage; cmd_install ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        -h | --help | help) usage ;;
        *) usage ;;
    esac
}

main "$@"
