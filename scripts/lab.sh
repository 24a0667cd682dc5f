#!/usr/bin/env bash
# The Helm 101 revision-management lab, run with rhelm on a local real Kubernetes API server.
#
# Usage: scripts/lab.sh
#
# Starts (building it on first use, which takes minutes) a kube-apiserver 1.20.2 + etcd with
# scripts/test-cluster.sh, state under ${RHELM_CACHE:-~/.cache/rhelm}/lab (reused while it is up),
# builds rhelm (cargo build --release), then runs the lab in namespace helm-demo:
#   install → list → upgrade (no Redis read replicas, NodePort) → history → rollback to 1 →
#   history → kubectl get all.
# Safe to run again: a guestbook-demo release left by an earlier run is uninstalled first.
# RHELM_BIN=path/to/rhelm skips the build and uses that binary.
# The cluster keeps running afterwards (KUBECONFIG is printed); stop it with
#   scripts/test-cluster.sh stop ~/.cache/rhelm/lab
# The test cluster has no controller-manager or kubelet: Deployments stay 0/N, which is fine
# for a lab about revisions.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_DIR="${RHELM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/rhelm}"
LAB_DIR="$CACHE_DIR/lab"
NS=helm-demo
RELEASE=guestbook-demo
CHART=charts/guestbook

if [ -t 1 ]; then
    BOLD=$'\033[1m' RESET=$'\033[0m'
else
    BOLD='' RESET=''
fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }
show() { # print a command like a shell transcript, then run it
    printf '%s$ %s%s\n' "$BOLD" "$*" "$RESET"
    "$@"
}

step "Kubernetes API server (state in $LAB_DIR)"
if scripts/test-cluster.sh status "$LAB_DIR" 2>/dev/null; then
    KUBECONFIG="$LAB_DIR/kubeconfig"
else
    KUBECONFIG="$(scripts/test-cluster.sh start "$LAB_DIR" | tail -n 1)"
fi
export KUBECONFIG
echo "KUBECONFIG=$KUBECONFIG"

if [ -n "${RHELM_BIN:-}" ]; then
    step "Using $RHELM_BIN"
else
    step "Building rhelm (release)"
    cargo build --release --bin rhelm
    RHELM_BIN="${CARGO_TARGET_DIR:-target}/release/rhelm"
fi
rhelm() { "$RHELM_BIN" "$@"; }

# Idempotence: remove what an earlier run left (the release, then any orphaned objects).
if rhelm history "$RELEASE" -n "$NS" >/dev/null 2>&1; then
    step "Removing the release left by an earlier run"
    show rhelm uninstall "$RELEASE" -n "$NS"
fi
if kubectl get namespace "$NS" >/dev/null 2>&1; then
    kubectl delete deployments,services -n "$NS" -l "app.kubernetes.io/instance=$RELEASE" \
        --ignore-not-found --wait=false >/dev/null
fi

step "1. Install the guestbook chart"
show rhelm install "$RELEASE" "$CHART" -n "$NS" --create-namespace

step "2. List releases"
show rhelm list -n "$NS"

step "3. Upgrade: no Redis read replicas, NodePort service"
show rhelm upgrade "$RELEASE" "$CHART" --set redis.slaveEnabled=false,service.type=NodePort -n "$NS"

step "4. History before the rollback"
show rhelm history "$RELEASE" -n "$NS"

step "5. Roll back to revision 1"
show rhelm rollback "$RELEASE" 1 -n "$NS"

step "6. History after the rollback"
show rhelm history "$RELEASE" -n "$NS"

step "7. What runs in $NS (revision 1's objects again: redis-slave, LoadBalancer)"
show kubectl get all -n "$NS"

printf '\nThe cluster is still running: export KUBECONFIG=%s\n' "$KUBECONFIG"
