package aws

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/vigil-soc/vigil/internal/mototest"
)

// TestAWSAccount: one account seeded with every area's planted problems
// and their look-alikes (IAM, network and services, storage, edge,
// compute, data stores, containers, resource policies, monitoring and the
// platform services), read in one run across two regions. Every planted
// problem is found, every look-alike passes, and nothing else fails but
// what a new AWS account violates of itself (accountDefaults).
func TestAWSAccount(t *testing.T) {
	ids, fs := map[string]string{}, map[string]string{}
	var zones platformZones
	seeds := []seeder{seedIAM(t), seedNetwork(t, ids), seedStorage(t, fs), seedEdge(t), seedCompute, seedDatastores, seedContainers,
		seedResources(t), seedMonitoring(t), seedPlatform(&zones)}
	got, why := motoAccount(t, []string{"us-east-1", "eu-west-1"}, func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		for _, s := range seeds {
			s(ctx, cfg, must)
		}
	}, func(endpoint string) {
		mototest.AddAnalyzer(endpoint, "us-east-1", mototest.Analyzer{Name: "account", Type: "ACCOUNT", Status: "ACTIVE"})
		mototest.AddAnalyzer(endpoint, "eu-west-1", mototest.Analyzer{Name: "unused", Type: "ACCOUNT_UNUSED_ACCESS", Status: "ACTIVE"})
		mototest.AddAnalyzer(endpoint, "eu-west-1", mototest.Analyzer{Name: "broken", Type: "ACCOUNT", Status: "FAILED"})
	})
	want := map[string]string{}
	for _, w := range []map[string]string{wantIAM(), wantNetwork(ids), wantStorage(fs), wantEdge(), wantCompute(), wantDatastores(), wantContainers(),
		wantResources(), wantPlatform(zones)} {
		for k, v := range w {
			if old, ok := want[k]; ok && old != v {
				t.Fatalf("two areas want %s both %s and %s", k, old, v)
			}
			want[k] = v
		}
	}
	// Account-wide results where the areas, seeded together, make one
	// account: the monitoring trail records every S3 data event, so the
	// storage area's account without one is no longer that.
	want["aws.cloudtrail-s3-writes account"] = "pass"
	want["aws.cloudtrail-s3-reads account"] = "pass"
	// The monitoring area: CIS 4.5's filter is alarmed and heard, the other
	// fourteen are missing or wrong.
	for _, id := range awsChecks(t) {
		if strings.HasPrefix(id, "aws.cis-4-") {
			want[id+" account"] = map[bool]string{true: "pass", false: "fail"}[strings.HasPrefix(id, "aws.cis-4-5-")]
		}
	}
	expect(t, got, why, want)
	var unplanted []string
	for k, v := range got {
		switch {
		case v == "fail" && want[k] != "fail" && accountDefault(k) == "":
			unplanted = append(unplanted, k+" ("+why[k]+")")
		case v == "error" && k != motoRootUse:
			t.Errorf("%s could not be judged: %s", k, why[k])
		}
	}
	sort.Strings(unplanted)
	if len(unplanted) > 0 {
		t.Errorf("%d failures nobody planted:\n  %s", len(unplanted), strings.Join(unplanted, "\n  "))
	}
}

// accountDefault says why a failure is what a new AWS account (and moto's
// copy of one) violates of itself, or "" when it is not.
func accountDefault(result string) string {
	return ""
}
