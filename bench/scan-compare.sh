#!/usr/bin/env bash
# Host scanning against its peers and the machine's limits, on this machine,
# in one run (issues 5 and 14), ending with a table of ratios:
#  - the walk (host.walk) against single-threaded find, same warm caches,
#    run alternately;
#  - vigil scan with the full Linux baseline against OpenSCAP's CIS Level 1
#    server profile and Lynis' quick audit (wall time, peak memory);
#  - the scan's peak memory on trees of 100,000 and 1,000,000 entries
#    (bench/mktree), to show it does not grow with the files;
#  - file integrity of /usr: a vigil baseline (full hash) and drift checks
#    (fast and full) against AIDE's init and check, and the full hash
#    against the SHA-256 rate of every core;
#  - the agent's resident memory after its scan has run.
# Peers install from Debian's packages when missing. Run as root (the
# peers need it, and so does a full view of the host).
# Usage: bench/scan-compare.sh [--no-peers]
set -euo pipefail
cd "$(dirname "$0")/.."
peers=1
[ "${1:-}" = "--no-peers" ] && peers=0
mkdir -p bin
go build -o bin/vigil ./cmd/vigil
tmp=$(mktemp -d /var/tmp/vigil-bench.XXXXXX)
trap 'rm -rf "$tmp"; [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null || true; [ -n "${agt:-}" ] && kill "$agt" 2>/dev/null || true' EXIT
go test -c -o "$tmp/host.test" ./collect/host
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A wall rss
# measure KEY NAME CMD...: wall seconds and peak RSS (MB) from /usr/bin/time,
# kept under KEY for the ratios.
measure() {
  local key=$1 name=$2; shift 2
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || true
  read -r w m < <(tail -1 "$tmp/time")
  wall[$key]=$w
  rss[$key]=$(echo "scale=1; $m/1024" | bc)
  printf '%-36s wall %7.2f s  peak %6.1f MB\n' "$name" "$w" "${rss[$key]}"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { echo "scale=3; $1/$2" | bc | sed 's/^\./0./'; }

# The walk and find, alternately, five times each, after one of each to
# warm the caches. The walk is timed inside the process (BenchmarkWalk),
# so that the binary's start-up is not counted against it.
entries=$(find / -xdev 2>/dev/null | wc -l)
echo "root file system: $entries entries"
"$tmp/host.test" -test.run '^$' -test.bench Walk -test.benchtime 1x > /dev/null
: > "$tmp/find.t"; : > "$tmp/walk.t"
for _ in 1 2 3 4 5; do
  /usr/bin/time -f '%e' -a -o "$tmp/find.t" find / -xdev -printf '%m %U\n' > /dev/null 2>&1 || true
  "$tmp/host.test" -test.run '^$' -test.bench Walk -test.benchtime 1x | awk '/^BenchmarkWalk/ {printf "%.3f\n", $3/1e9}' >> "$tmp/walk.t"
done
find_s=$(grep -E '^[0-9.]+$' "$tmp/find.t" | median)
walk_s=$(median < "$tmp/walk.t")
echo "find / -xdev -printf '%m %U\n' (one core): $(grep -E '^[0-9.]+$' "$tmp/find.t" | sort -n | xargs) s, median $find_s s"
echo "host.walk ($(nproc) cores): $(sort -n "$tmp/walk.t" | xargs) s, median $walk_s s"

n=$(bin/vigil checks list | tail -n +2 | wc -l)
echo "vigil: $n checks"
for i in 1 2 3; do
  measure "scan$i" "vigil scan (run $i)" bin/vigil scan --fail-on none --format json --output "$tmp/scan.json"
done
scan_s=$(printf '%s\n' "${wall[scan1]}" "${wall[scan2]}" "${wall[scan3]}" | median)
scan_mb=$(printf '%s\n' "${rss[scan1]}" "${rss[scan2]}" "${rss[scan3]}" | median)
measure floor "vigil version (the binary's floor)" bin/vigil version

# The scan's memory against the number of files: the same checks on trees
# laid out like / with 100,000 and 1,000,000 entries.
for size in 100000 1000000; do
  go run ./bench/mktree --dir "$tmp/tree$size" --entries $size
  measure "tree$size" "vigil scan --root, $size entries" bin/vigil scan --root "$tmp/tree$size" --fail-on none --format json --output "$tmp/tree.json"
  grep -q '/srv/planted-suid' "$tmp/tree.json" || { echo "the scan of $size entries missed the planted set-uid file"; exit 1; }
  rm -rf "$tmp/tree$size"
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
  measure oscap "oscap CIS L1 server (ubuntu2204)" oscap xccdf eval --profile xccdf_org.ssgproject.content_profile_cis_level1_server \
    --results "$tmp/oscap.xml" "$tmp/ds.xml"
  echo "  oscap rule results: $(grep -oE '<result>[a-z]+</result>' "$tmp/oscap.xml" | sed -E 's/<\/?result>//g' | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
  measure lynis "lynis audit system --quick" lynis audit system --quick --no-colors --no-log
fi

# File integrity of /usr.
files=$(find /usr -xdev -type f | wc -l)
echo "/usr: $files files, $(du -sh /usr | cut -f1)"
# Warm the page cache first, so that every tool below hashes from memory
# rather than the first one paying for the disk.
find /usr -xdev -type f -print0 | xargs -0 cat > /dev/null 2>&1 || true
measure fimbase "vigil baseline of /usr (full hash)" bin/vigil scan --fail-on none --format json --output /dev/null --fim-paths /usr --baseline "$tmp/base"
measure fimfast "vigil drift, fast (stat) of /usr" bin/vigil scan --fail-on none --format json --output /dev/null --drift "$tmp/base"
measure fimfull "vigil drift, full re-hash of /usr" bin/vigil scan --fail-on none --format json --output /dev/null --drift "$tmp/base" --fim full
if [ "$peers" = 1 ]; then
  cat > "$tmp/aide.conf" <<CONF
database_in=file:$tmp/aide.db
database_out=file:$tmp/aide.db.new
Checks = p+i+n+u+g+s+m+c+sha256
/usr Checks
CONF
  measure aideinit "aide --init of /usr" aide --config "$tmp/aide.conf" --init
  mv "$tmp/aide.db.new" "$tmp/aide.db"
  measure aidecheck "aide --check of /usr" aide --config "$tmp/aide.conf" --check
fi
go test -run '^$' -bench 'FullHash|FastCheck' -benchtime 3x -count 3 ./fim | tee "$tmp/fim.txt"
hash_pct=$(awk '/^BenchmarkFullHash/ {for (i=1;i<=NF;i++) if ($(i+1)=="%-of-sha256") print $i}' "$tmp/fim.txt" | sort -n | xargs)

# Agent memory: a local server, one enrolled agent; the resident
# supervisor's memory after its scan child has run and exited.
bin/vigil serve --data-dir "$tmp/srv" --addr 127.0.0.1:18089 > "$tmp/serve.log" 2>&1 & srv=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18089/readyz >/dev/null && break; sleep 0.2; done
tok=$(bin/vigil admin create-enrolment --data-dir "$tmp/srv" 2>/dev/null || true)
agent_mb=
if [ -n "$tok" ]; then
  VIGIL_ENROL_TOKEN=$tok bin/vigil agent enrol --server http://127.0.0.1:18089 --state-dir "$tmp/agent" >/dev/null
  bin/vigil agent run --state-dir "$tmp/agent" --interval 15m > "$tmp/agent.log" 2>&1 & agt=$!
  for _ in $(seq 300); do grep -q delivered "$tmp/agent.log" && break; sleep 0.2; done
  sleep 3
  agent_mb=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$agt/status)
  echo "agent supervisor RSS after its scan: $agent_mb MB (peak $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$agt/status))"
fi

echo
echo "# ratios (target in brackets)"
echo "walk / find, same caches:                $(ratio "$walk_s" "$find_s")  [<= 0.6]"
echo "scan peak memory:                        $scan_mb MB  [< 40 MB]; of it the binary's floor: ${rss[floor]} MB"
echo "scan peak, 1,000,000 / 100,000 entries:  ${rss[tree1000000]} / ${rss[tree100000]} MB  [flat]"
if [ "$peers" = 1 ]; then
  echo "OpenSCAP / vigil scan, time:             $(ratio "${wall[oscap]}" "$scan_s")  memory: $(ratio "${rss[oscap]}" "$scan_mb")"
  echo "Lynis / vigil scan, time:                $(ratio "${wall[lynis]}" "$scan_s")  memory: $(ratio "${rss[lynis]}" "$scan_mb")"
  echo "vigil / AIDE, baseline vs init, time:    $(ratio "${wall[fimbase]}" "${wall[aideinit]}")  memory: $(ratio "${rss[fimbase]}" "${rss[aideinit]}")  [memory < 1]"
  echo "vigil / AIDE, full drift vs check, time: $(ratio "${wall[fimfull]}" "${wall[aidecheck]}")  memory: $(ratio "${rss[fimfull]}" "${rss[aidecheck]}")  [memory < 1]"
fi
echo "full hash, % of SHA-256 on every core:   $hash_pct  [>= 50 on every run]"
echo "agent supervisor after its scan:         ${agent_mb:-not measured} MB  [< 25 MB]"
