package aws

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/vigil-soc/vigil"
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

// expect compares results with what a test wants.
func expect(t *testing.T, got, why, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q (%s), want %s", k, got[k], why[k], v)
		}
	}
}
