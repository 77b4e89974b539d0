#!/usr/bin/env bash
# Host scanning against its peers, on this machine, in one run (issue 5):
#  - vigil scan with the full Linux baseline, vs OpenSCAP's CIS Level 1
#    server profile and Lynis' quick audit (wall time, peak memory);
#  - file integrity of /usr: a vigil baseline (full hash) and drift checks
#    (fast and full), vs AIDE's init and check;
#  - the agent's idle memory after a scan.
# Peers install from Debian's packages when missing. Run as root (the
# peers need it, and so does a full view of the host).
# Usage: bench/scan-compare.sh [--no-peers]
set -euo pipefail
cd "$(dirname "$0")/.."
peers=1
[ "${1:-}" = "--no-peers" ] && peers=0
mkdir -p bin
go build -o bin/vigil ./cmd/vigil
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null || true; [ -n "${agt:-}" ] && kill "$agt" 2>/dev/null || true' EXIT
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"

# measure NAME CMD...: wall seconds and peak RSS from /usr/bin/time -v.
measure() {
  local name=$1; shift
  /usr/bin/time -v "$@" > "$tmp/out" 2> "$tmp/time" || true
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
  printf '%-34s wall %-9s peak %6.1f MB\n' "$name" "$wall" "$(echo "$rss/1024" | bc -l)"
}

n=$(bin/vigil checks list | tail -n +2 | wc -l)
echo "vigil: $n checks"
for i in 1 2 3; do
  measure "vigil scan (run $i)" bin/vigil scan --fail-on none --format json --output "$tmp/scan.json"
done

if [ "$peers" = 1 ]; then
  need=()
  command -v oscap >/dev/null || need+=(openscap-scanner)
  [ -f /usr/share/xml/scap/ssg/content/ssg-ubuntu2204-ds.xml ] || need+=(ssg-debderived)
  command -v lynis >/dev/null || need+=(lynis)
  command -v aide >/dev/null || need+=(aide)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
  fi
  # Debian ships no CIS profile; the nearest is Ubuntu 22.04's. Its
  # benchmark-wide platform (Ubuntu 22.04) would make every rule "not
  # applicable" here, so a copy without that one line is evaluated: the
  # rules then really run against this host.
  grep -v 'platform idref="cpe:/o:canonical:ubuntu_linux' /usr/share/xml/scap/ssg/content/ssg-ubuntu2204-ds.xml > "$tmp/ds.xml"
  measure "oscap CIS L1 server (ubuntu2204)" oscap xccdf eval --profile xccdf_org.ssgproject.content_profile_cis_level1_server \
    --results "$tmp/oscap.xml" "$tmp/ds.xml"
  echo "  oscap rule results: $(grep -oE '<result>[a-z]+</result>' "$tmp/oscap.xml" | sed -E 's/<\/?result>//g' | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
  measure "lynis audit system --quick" lynis audit system --quick --no-colors --no-log
fi

# File integrity of /usr.
files=$(find /usr -xdev -type f | wc -l)
echo "/usr: $files files, $(du -sh /usr | cut -f1)"
# Warm the page cache first, so that every tool below hashes from memory
# rather than the first one paying for the disk.
find /usr -xdev -type f -print0 | xargs -0 cat > /dev/null 2>&1 || true
measure "vigil baseline of /usr (full hash)" bin/vigil scan --fail-on none --format json --output /dev/null --fim-paths /usr --baseline "$tmp/base"
measure "vigil drift, fast (stat) of /usr" bin/vigil scan --fail-on none --format json --output /dev/null --drift "$tmp/base"
measure "vigil drift, full re-hash of /usr" bin/vigil scan --fail-on none --format json --output /dev/null --drift "$tmp/base" --fim full
if [ "$peers" = 1 ]; then
  cat > "$tmp/aide.conf" <<CONF
database_in=file:$tmp/aide.db
database_out=file:$tmp/aide.db.new
Checks = p+i+n+u+g+s+m+c+sha256
/usr Checks
CONF
  measure "aide --init of /usr" aide --config "$tmp/aide.conf" --init
  mv "$tmp/aide.db.new" "$tmp/aide.db"
  measure "aide --check of /usr" aide --config "$tmp/aide.conf" --check
fi
go test -run '^$' -bench 'FullHash|FastCheck' -benchtime 3x ./fim

# Agent idle memory: a local server, one enrolled agent, RSS after its scan.
bin/vigil serve --data-dir "$tmp/srv" --addr 127.0.0.1:18089 > "$tmp/serve.log" 2>&1 & srv=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18089/readyz >/dev/null && break; sleep 0.2; done
tok=$(bin/vigil admin create-enrolment --data-dir "$tmp/srv" 2>/dev/null || true)
if [ -n "$tok" ]; then
  VIGIL_ENROL_TOKEN=$tok bin/vigil agent enrol --server http://127.0.0.1:18089 --state-dir "$tmp/agent" >/dev/null
  bin/vigil agent run --state-dir "$tmp/agent" --interval 15m > "$tmp/agent.log" 2>&1 & agt=$!
  for _ in $(seq 100); do grep -q delivered "$tmp/agent.log" && break; sleep 0.2; done
  sleep 3
  echo "agent idle RSS after a scan: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$agt/status) (peak $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$agt/status))"
fi
