package aws

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/internal/mototest"
)

// BenchmarkAWSCollect collects an account seeded in moto with 1,000 IAM
// users and 500 buckets.
func BenchmarkAWSCollect(b *testing.B) {
	endpoint := mototest.Start(b, "vigil-unused")
	seedAWS(b, endpoint, 1000, 500)
	cfg, _ := json.Marshal(map[string]any{"regions": []string{"us-east-1"}, "endpoint": endpoint})
	b.ResetTimer()
	for range b.N {
		in, err := AWS{}.Collect(ctx, &kind.Run{Config: cfg, Secret: "test:test", Now: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(in["aws.iam"]["users"].([]any)); n != 1000 {
			b.Fatalf("%d users: %v", n, in["aws.iam"]["users_error"])
		}
		if n := len(in["aws.s3"]["buckets"].([]any)); n < 500 {
			b.Fatalf("%d buckets", n)
		}
	}
}
