#!/usr/bin/env bash
# Whole-run benchmarks for the core (issue 2), on this machine:
#  - in-process: readiness computation, serve start-up;
#  - whole binary: start-up to /readyz and GET /api/v1/readiness at 500 req/s
#    with 1,000 controls, on SQLite and on PostgreSQL;
#  - evidence appends: durable 1 KB items/s from 64 writers on SQLite
#    (target 10,000) and on a PostgreSQL with fsync on (issue 14);
#  - a 20-page policy (60 KiB of Markdown) to PDF (target under 200 ms);
#  - the incident register of 5,000 listed and filtered (target under 50 ms).
#  - the vendor inventory of 2,000 vendors with expiry and review states
#    (target under 50 ms), and VM-01..VM-04 judged from the same records;
#  - 5,000 discovered apps matched against 2,000 vendors (suggestions).
# Usage: bench/run.sh [duration]   (default 20s of load per engine)
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-20s}
mkdir -p bin
go build -o bin/vigil ./cmd/vigil
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"
go test -run '^$' -bench 'Readiness' -benchtime 2s ./readiness
go test -run '^$' -bench 'ServeStart' -benchtime 20x ./cmd/vigil
go test -run '^$' -bench 'Append1KB' -benchtime 20000x ./evidence
go test -run '^$' -bench 'ExportPDF20Pages' -benchtime 20x ./policy
go test -run '^$' -bench 'IncidentList5k' -benchtime 20x ./incidents
go test -run '^$' -bench 'Register5000' -benchtime 20x ./risk
go test -run '^$' -bench 'Simulate100k|AppSuggestions' -benchtime 20x .
go test -run '^$' -bench 'List2000|Signals2000' -benchtime 20x ./vendors
# Notifications: 10,000 queued by 8 writers, the sender stopped a third of
# the way and restarted; every one delivered to a local receiver that
# takes 0.2 ms a request (its pace: 5,000/s), the duplicates counted.
VIGIL_NOTIFY_BURST=10000 go test -count=1 -run 'TestBurstAcrossRestart' -v ./notify | grep -E 'queued|FAIL'
for engine in sqlite postgres; do
  go run ./bench/readiness-load --vigil bin/vigil --engine "$engine" --rate 500 --duration "$dur"
done
