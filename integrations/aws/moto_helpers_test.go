package aws

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/internal/mototest"
)

// seeder plants what a test needs in moto through cfg (us-east-1);
// must fails the test on a call that fails.
type seeder func(ctx context.Context, cfg aws.Config, must func(any, error))

// motoAccount starts moto, seeds it, connects the aws kind to it with
// regions and runs it once: the verdict and reason of every result, by
// "check resource", and the endpoint (for the Access Analyzer replay).
func motoAccount(t *testing.T, regions []string, seed seeder, before ...func(endpoint string)) (got, why map[string]string) {
	t.Helper()
	endpoint := mototest.Start(t, "vigil-unused")
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"), awsconfig.WithBaseEndpoint(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	seed(ctx, cfg, func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	})
	for _, f := range before {
		f(endpoint)
	}
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, AWS{})
	conf, _ := json.Marshal(map[string]any{"regions": regions, "endpoint": endpoint})
	x := &vigil.Integration{Kind: "aws", Name: "prod account", Config: conf, Interval: 3600, Enabled: true}
	return integrationtest.Connect(t, s, x, "test:test")
}

// expect compares results with what a test wants, and notes each verdict
// it saw as wanted (see TestMain).
func expect(t *testing.T, got, why, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q (%s), want %s", k, got[k], why[k], v)
			continue
		}
		shown(k, v)
	}
}

// planted records, by check, the verdicts a test against moto (or a
// replay) planted and saw: "pass", "fail", "not_applicable", "error".
var (
	plantedMu sync.Mutex
	planted   = map[string]map[string]bool{}
)

// shown notes that the result "CHECK RESOURCE" was seen as verdict.
func shown(result, verdict string) {
	id, _, _ := strings.Cut(result, " ")
	plantedMu.Lock()
	defer plantedMu.Unlock()
	if planted[id] == nil {
		planted[id] = map[string]bool{}
	}
	planted[id][verdict] = true
}

// unplantable are the checks whose pass or fail no emulated account can
// show, and why; their inline cases judge them. Each entry names the
// verdict that cannot be planted.
var unplantable = map[string]string{
	"aws.iam-root-hardware-mfa pass":   "moto cannot enrol a hardware MFA device for the root user",
	"aws.iam-root-hardware-mfa fail":   "moto's account summary has no root MFA, so the check is not reached",
	"aws.root-mfa pass":                "moto's account summary never reports root MFA",
	"aws.root-no-keys fail":            "moto cannot give the root user access keys",
	"aws.iam-root-not-used pass":       "moto's credential report has no <root_account> line (AWS's always has)",
	"aws.iam-root-not-used fail":       "moto's credential report has no <root_account> line (AWS's always has)",
	"aws.rds-enhanced-monitoring pass": "moto keeps no MonitoringInterval",
	"aws.s3-mfa-delete pass":           "moto keeps no MFADelete setting (PutBucketVersioning ignores it)",
	"aws.secrets-rotation pass":        "moto's RotateSecret invokes the rotation function, which needs Docker",
	"aws.secrets-used pass":            "moto never records a secret's LastAccessedDate",
	"aws.secrets-rotated fail":         "moto dates a secret's creation and rotation now; none can be 90 days old",
	"aws.keys-rotated fail":            "moto dates every access key now; none can be 90 days old",
	"aws.iam-credentials-unused fail":  "moto dates users and keys now and records no use; nothing can be 45 days idle",
}

// TestMain runs the tests and then, when all of them ran (no -run), asks
// that every AWS check was seen both passing and failing in a seeded
// account, unless unplantable says why it cannot be.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code != 0 || flag.Lookup("test.run").Value.String() != "" || testing.Short() {
		os.Exit(code)
	}
	reg, err := checks.Load()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	var missing []string
	for _, c := range reg.Checks() {
		if !strings.HasPrefix(c.Collector, "aws.") {
			continue
		}
		for _, v := range []string{"pass", "fail"} {
			if !planted[c.ID][v] && unplantable[c.ID+" "+v] == "" {
				missing = append(missing, c.ID+" "+v)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		fmt.Printf("FAIL: %d AWS check verdicts are planted in no seeded account (plant them, or say in unplantable why they cannot be):\n  %s\n", len(missing), strings.Join(missing, "\n  "))
		os.Exit(1)
	}
	os.Exit(code)
}
