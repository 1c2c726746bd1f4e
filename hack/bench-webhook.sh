#!/usr/bin/env bash
# Measures the `jobguard serve` binary as BENCHMARKS.md's Webhook section describes: it builds
# jobguard and hack/loadgen, generates certificates, serves on 127.0.0.1 with the default
# configuration, and drives it with hack/loadgen over HTTPS keep-alive, first at 1,000 reviews/s,
# then at saturation (8 workers), printing throughput, p50/p99/p99.9 latency and the server's
# peak RSS for each run.
#
#   hack/bench-webhook.sh                      # 20 s per run
#   BENCH_WEBHOOK_DURATION=5s hack/bench-webhook.sh
#
# Loopback only (loadgen refuses anything else); every run is bounded in time. The binary is
# copied before it runs: run straight from the linker's output, the page cache maps it in larger
# folios and the RSS reads 15-20 MiB higher than it is in an image (see BENCHMARKS.md, RSS).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
go="${GO:-go}"
duration="${BENCH_WEBHOOK_DURATION:-20s}"

work="$(mktemp -d)"
pid=""
cleanup() {
	if [[ -n "${pid}" ]]; then kill "${pid}" 2>/dev/null || true; wait "${pid}" 2>/dev/null || true; fi
	rm -rf "${work}"
}
trap cleanup EXIT

"${go}" build -o "${work}/jobguard.built" ./cmd/jobguard
cp "${work}/jobguard.built" "${work}/jobguard"
"${go}" build -o "${work}/loadgen" ./hack/loadgen
"${work}/jobguard" certs generate --service jobguard-webhook --namespace jobguard --out "${work}/certs" >/dev/null

# Loopback ports: BENCH_WEBHOOK_PORTS="webhook health metrics" when these are taken.
read -r -a ports <<<"${BENCH_WEBHOOK_PORTS:-19443 18081 18080}"
addr="127.0.0.1:${ports[0]}"
"${work}/jobguard" serve --addr "${addr}" --health-addr "127.0.0.1:${ports[1]}" \
	--metrics-addr "127.0.0.1:${ports[2]}" --cert-dir "${work}/certs" 2>"${work}/serve.log" &
pid=$!
ready=""
for _ in $(seq 100); do
	if curl -fsS "http://127.0.0.1:${ports[1]}/readyz" >/dev/null 2>&1; then ready=1; break; fi
	sleep 0.1
done
if [[ -z "${ready}" ]]; then
	echo "bench-webhook: jobguard serve did not become ready in 10s:" >&2
	cat "${work}/serve.log" >&2
	exit 1
fi

echo "machine: $(nproc) CPUs, $(uname -sm), $("${go}" env GOVERSION); load avg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1,000 reviews/s, ${duration}"
"${work}/loadgen" -url "https://${addr}" -ca "${work}/certs/ca.crt" -rate 1000 -duration "${duration}" -warmup 2s -pid "${pid}"
echo "== saturation, 8 workers, ${duration}"
"${work}/loadgen" -url "https://${addr}" -ca "${work}/certs/ca.crt" -rate 0 -workers 8 -duration "${duration}" -warmup 2s -pid "${pid}"
