#!/usr/bin/env bash
# rhelm's benchmarks as whole processes: wall time and peak RSS (not timed tests).
#
# Usage: scripts/bench.sh [ROUNDS]        (default 5 rounds per measurement; median reported)
#   RHELM_BIN=path       use that binary instead of building target/release/rhelm
#   REVISIONS=N RELEASES=N   sizes (default 200 each; smaller for a quick smoke run)
#
# On a real kube-apiserver (scripts/test-cluster.sh, state in ${RHELM_BENCH_DIR:-target/bench-cluster}):
#   - `rhelm upgrade` of a release at revision 1, and again at revision 200 (must stay within 20 %);
#   - `rhelm history` of that release with 200+ revisions;
#   - `rhelm list -A` with 200 releases;
# and without a cluster:
#   - `rhelm template` of argo-cd, wordpress and prometheus from shared/conformance;
#   - `rhelm template` of a kube-prometheus-stack STAND-IN: the conformance chart copied to a
#     temporary folder with its four missing subcharts (kube-state-metrics, node exporter,
#     grafana, windows exporter) removed from Chart.yaml and disabled by --set. It renders
#     the chart's own templates only, so it is not comparable with Helm's full render. With
#     RHELM_CONFORMANCE_MIRROR set (see tests/conformance.rs), the whole chart is timed too.
# Set RENDER_ONLY=1 to skip the cluster part.
# Reference (issue 2/3, real Helm 4.3 on this kind of machine): history of 206 revisions 0.2 s and
# 104 MiB as a process; upgrade 0.045 s at revision 1, 0.145 s at revision 206; rendering
# kube-prometheus-stack ~210 ms and argo-cd ~100 ms in-process.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${1:-5}"
BENCH_DIR="${RHELM_BENCH_DIR:-target/bench-cluster}"
SHARED="${RHELM_SHARED:-}"
if [ -z "$SHARED" ]; then
    if [ -d ../shared ]; then SHARED="$(cd ../shared && pwd)"; else SHARED=/work/shared; fi
fi
log() { printf '[bench] %s\n' "$*" >&2; }

REVISIONS="${REVISIONS:-200}"
RELEASES="${RELEASES:-200}"
if [ -n "${RHELM_BIN:-}" ]; then
    RHELM="$RHELM_BIN"
else
    cargo build --release --bin rhelm >&2
    RHELM="$(pwd)/${CARGO_TARGET_DIR:-target}/release/rhelm"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# measure LABEL CMD...: runs CMD ROUNDS times (@ROUND@ in an argument becomes the round number);
# prints the median wall time (ms) and the median peak RSS (MiB). The clock is bash's
# EPOCHREALTIME (no process of its own), so a round's wall time is CMD's plus the start of
# /usr/bin/time (well under a millisecond).
measure() {
    local label="$1" i start end
    shift
    local walls=() rsss=()
    for i in $(seq 1 "$ROUNDS"); do
        start=${EPOCHREALTIME/[.,]/}
        if ! /usr/bin/time -v -o "$WORK/time" "${@//@ROUND@/$i}" >"$WORK/out" 2>"$WORK/err"; then
            printf '%-48s FAILED: %s\n' "$label" "$(grep -m1 -v '^\s*$' "$WORK/err")"
            LAST_WALL=0
            return 0
        fi
        end=${EPOCHREALTIME/[.,]/}
        walls+=($(((end - start) / 1000)))
        rsss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")")
    done
    local wall
    wall=$(median 1 %d "${walls[@]}")
    printf '%-48s %8s ms  %8s MiB   (wall ms per round: %s)\n' "$label" "$wall" \
        "$(median 1024 %.1f "${rsss[@]}")" "${walls[*]}"
    LAST_WALL=$wall
}

# median SCALE FORMAT VALUES...: the median of VALUES divided by SCALE, printed with FORMAT.
median() {
    local scale="$1" format="$2"
    shift 2
    printf '%s\n' "$@" | sort -n |
        awk -v s="$scale" -v f="$format" '{a[NR]=$1} END {printf f, a[int((NR+1)/2)]/s}'
}

# measure_render LABEL CMD...: as measure, for a command that changes nothing (a render): each
# round times CMD alone (so /usr/bin/time's own start is not counted), then runs it again
# under /usr/bin/time for its peak RSS.
measure_render() {
    local label="$1" i start end
    shift
    local walls=() rsss=()
    for i in $(seq 1 "$ROUNDS"); do
        start=${EPOCHREALTIME/[.,]/}
        if ! "$@" >"$WORK/out" 2>"$WORK/err"; then
            printf '%-48s FAILED: %s\n' "$label" "$(grep -m1 -v '^\s*$' "$WORK/err")"
            return 0
        fi
        end=${EPOCHREALTIME/[.,]/}
        walls+=("$(((end - start) / 100))")
        /usr/bin/time -v -o "$WORK/time" "$@" >/dev/null 2>&1 || true
        rsss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")")
    done
    printf '%-48s %8s ms  %8s MiB   (wall 0.1 ms per round: %s)\n' "$label" \
        "$(median 10 %.1f "${walls[@]}")" "$(median 1024 %.1f "${rsss[@]}")" "${walls[*]}"
}

echo "rhelm $("$RHELM" version 2>/dev/null | head -n 1)   rounds=$ROUNDS   $(date -u +%FT%TZ)"
echo

# --- rendering (no cluster) ------------------------------------------------------------------
caps=()
while IFS= read -r v; do caps+=(--api-versions "$v"); done < <(
    python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["apiVersions"]))' \
        "$SHARED/conformance/capabilities.json")
# template_case LABEL CHART_DIR CASE_DIR [EXTRA ARGS...]: times `rhelm template` with the
# case's values, namespace, Kubernetes version and API versions (as its Helm output was made).
template_case() {
    local label="$1" chart="$2" dir="$3" ns crds=()
    shift 3
    ns=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["namespace"])' "$dir/meta.json")
    while IFS= read -r v; do [ -n "$v" ] && crds+=(--api-versions "$v"); done < <(
        python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1])).get("crd_api_versions", [])))' "$dir/meta.json")
    KUBECONFIG=/nonexistent measure_render "$label" "$RHELM" template conf "$chart" -n "$ns" \
        -f "$dir/values.yaml" "$@" --kube-version v1.20.2 --no-default-api-versions "${caps[@]}" "${crds[@]}"
}
for case in argo-cd wordpress prometheus; do
    template_case "template $case" "$SHARED/conformance/$case/chart" "$SHARED/conformance/$case"
done
kps="$SHARED/conformance/kube-prometheus-stack"
mkdir -p "$WORK/kps"
cp -r "$kps/chart" "$WORK/kps/kube-prometheus-stack"
chmod -R u+w "$WORK/kps"
python3 - "$WORK/kps/kube-prometheus-stack/Chart.yaml" <<'PY'
import sys
path = sys.argv[1]
head, deps = open(path).read().split("dependencies:\n", 1)
# Keep the vendored `crds` subchart; drop the dependencies that are not in charts/.
keep = deps.split("  - name: kube-state-metrics", 1)[0]
open(path, "w").write(head + "dependencies:\n" + keep)
PY
template_case "template kube-prometheus-stack (STAND-IN)" "$WORK/kps/kube-prometheus-stack" "$kps" \
    --set grafana.enabled=false,kubeStateMetrics.enabled=false,nodeExporter.enabled=false,windowsMonitoring.enabled=false
# The whole chart, when its subcharts can be had: RHELM_CONFORMANCE_MIRROR replaces the
# `/work/.mirror` prefix of meta.json's dependency sources, as for the conformance test
# (folders are copied as they are; the test checks out the recorded commits).
if [ -n "${RHELM_CONFORMANCE_MIRROR:-}" ]; then
    mkdir -p "$WORK/kps-full"
    cp -r "$kps/chart" "$WORK/kps-full/kube-prometheus-stack"
    chmod -R u+w "$WORK/kps-full"
    if python3 - "$kps/meta.json" "$RHELM_CONFORMANCE_MIRROR" "$WORK/kps-full/kube-prometheus-stack/charts" <<'PY'
import json, os, shutil, sys
meta, mirror, charts = sys.argv[1:]
for dep in json.load(open(meta))["dependencies"]:
    source = dep["source"].split(" @ ")[0]
    if not source.startswith("/work/.mirror"):
        continue
    folder = mirror + source[len("/work/.mirror"):]
    if not os.path.isdir(folder):
        sys.exit(f"missing {folder}")
    shutil.copytree(folder, os.path.join(charts, dep["name"]), ignore=shutil.ignore_patterns(".git"))
PY
    then
        template_case "template kube-prometheus-stack (full, mirror)" \
            "$WORK/kps-full/kube-prometheus-stack" "$kps"
    else
        log "RHELM_CONFORMANCE_MIRROR does not hold kube-prometheus-stack's subcharts; skipped"
    fi
fi
echo "(reference: Helm 4.3 in-process renders argo-cd in ~100 ms and the full kube-prometheus-stack in ~210 ms;"
echo " targets for a whole rhelm process: argo-cd <= 10 ms, kube-prometheus-stack <= 20 ms)"
[ -n "${RENDER_ONLY:-}" ] && exit 0

# --- the cluster -----------------------------------------------------------------------------
if scripts/test-cluster.sh status "$BENCH_DIR" 2>/dev/null; then
    KUBECONFIG="$(cd "$BENCH_DIR" && pwd)/kubeconfig"
else
    KUBECONFIG="$(scripts/test-cluster.sh start "$BENCH_DIR" | tail -n 1)"
fi
export KUBECONFIG
unset HELM_DRIVER HELM_NAMESPACE HELM_MAX_HISTORY
NS="bench-$(date +%s)"
kubectl create namespace "$NS" >/dev/null
CHART=charts/guestbook

# Upgrade at revision 1: each round upgrades its own release (own namespace: the guestbook's
# Redis objects have fixed names) that has only revision 1.
for i in $(seq 1 "$ROUNDS"); do
    "$RHELM" install fresh "$CHART" -n "$NS-f$i" --create-namespace >/dev/null
done
measure "upgrade at revision 1" "$RHELM" upgrade fresh "$CHART" -n "$NS-f@ROUND@" --set replicaCount=3
at1=$LAST_WALL

# One release with $REVISIONS revisions (history kept: --history-max 0).
log "building a release with $REVISIONS revisions (takes a while)"
"$RHELM" install long "$CHART" -n "$NS" >/dev/null
for r in $(seq 2 "$REVISIONS"); do
    "$RHELM" upgrade long "$CHART" -n "$NS" --set replicaCount=$((r % 5 + 1)) --history-max 0 >/dev/null
done
measure "history ($REVISIONS+ revisions)" "$RHELM" history long -n "$NS"
measure "upgrade at revision $REVISIONS+ (--history-max 0)" \
    "$RHELM" upgrade long "$CHART" -n "$NS" --set replicaCount=2 --history-max 0
at200=$LAST_WALL
python3 -c 'import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
if a and b:
    r = b / a
    verdict = "ok" if r <= 1.2 else "TOO SLOW"
    print(f"upgrade at ~N / at 1: {r:.2f} (goal <= 1.20: {verdict})")
else:
    print("upgrade at ~N / at 1: n/a (a measurement failed)")' "$at1" "$at200"

# $RELEASES releases across the cluster.
log "installing $RELEASES small releases"
mkdir -p "$WORK/tiny/templates"
printf 'apiVersion: v2\nname: tiny\nversion: 1.0.0\nappVersion: "1.0"\n' >"$WORK/tiny/Chart.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: b\n' \
    >"$WORK/tiny/templates/cm.yaml"
kubectl create namespace "$NS-many" >/dev/null
for i in $(seq 1 "$RELEASES"); do
    "$RHELM" install "r$i" "$WORK/tiny" -n "$NS-many" >/dev/null
done
measure "list -A ($RELEASES+ releases)" "$RHELM" list -A
