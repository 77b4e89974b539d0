package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/collect"
	"github.com/vigil-soc/vigil/collect/host"
	"github.com/vigil-soc/vigil/scan"
	"github.com/vigil-soc/vigil/scheduler"
)

// LocalScanJob scans the host the server runs on, as if an agent ran there:
// the server's own hardening is monitored like any other host's.
func (s *Service) LocalScanJob(root string, every time.Duration, tail *scan.Tailoring) (scheduler.Job, error) {
	h, err := host.New(root)
	if err != nil {
		return scheduler.Job{}, err
	}
	name := fmt.Sprint(h.Info()["hostname"])
	if name == "" {
		name = "localhost"
	}
	return scheduler.Job{Name: "local-scan:" + name, Every: every, Run: func(ctx context.Context) error {
		ctx = vigil.WithActor(ctx, vigil.Actor{Name: "scheduler"})
		a, err := s.Store.LocalAgent(ctx, name+" (Vigil server)", name, int(every.Seconds()))
		if err != nil {
			return err
		}
		rep := scan.Run(ctx, scan.Options{Checks: s.Checks, Collectors: collect.NewRegistry(host.Collectors(h)...), Tailoring: tail, Host: h.Info(), Select: scan.HostCheck})
		info := h.Info()
		r := &vigil.AgentReport{Seq: a.LastSeq + 1, ScannedAt: rep.Started.UTC(), Duration: rep.Duration.Milliseconds(), Full: true,
			Host: vigil.HostInfo{Hostname: name, OS: fmt.Sprint(info["pretty_name"]), Kernel: fmt.Sprint(info["kernel"]), Version: "server", Interval: int(every.Seconds())}}
		for _, f := range rep.Findings {
			r.Results = append(r.Results, vigil.CheckResult{CheckID: f.CheckID, Resource: f.Resource, Verdict: string(f.Verdict), Reason: ClipReason(f.Reason)})
		}
		r.Results = MergeResults(r.Results)
		for _, c := range rep.Collectors {
			if c.Err != "" {
				r.Failed = append(r.Failed, c.Collector)
			}
		}
		r.Disabled = rep.Disabled
		if err := r.AttachInput(rep.Inputs); err != nil {
			return err
		}
		return s.Ingest(ctx, a, r)
	}}, nil
}
