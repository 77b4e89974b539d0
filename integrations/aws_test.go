package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/internal/mototest"
)

// seedAWS plants compliant and non-compliant resources in moto.
func seedAWS(t testing.TB, endpoint string, users, buckets int) {
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"), awsconfig.WithBaseEndpoint(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	ic := iam.NewFromConfig(cfg)
	for i := range users {
		name := fmt.Sprintf("user%04d", i)
		if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: &name}); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 { // a console user without MFA
			ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: &name, Password: aws.String("Passw0rd!Passw0rd!")})
		}
	}
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	for i := range buckets {
		name := fmt.Sprintf("bucket-%04d", i)
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			sc.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &name, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
				Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}}}})
			t := true
			sc.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &name, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
				BlockPublicAcls: &t, BlockPublicPolicy: &t, IgnorePublicAcls: &t, RestrictPublicBuckets: &t}})
		}
		// Versioning: enabled on every third bucket, suspended on the next.
		if st := [...]s3types.BucketVersioningStatus{s3types.BucketVersioningStatusEnabled, s3types.BucketVersioningStatusSuspended, ""}[i%3]; st != "" {
			if _, err := sc.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &name, VersioningConfiguration: &s3types.VersioningConfiguration{Status: st}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ec := ec2.NewFromConfig(cfg)
	sg, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("bastion"), Description: aws.String("ssh from anywhere")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}
	ec.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8)})
	ec.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8), Encrypted: aws.Bool(true)})
	kc := kms.NewFromConfig(cfg)
	if _, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("app data")}); err != nil {
		t.Fatal(err)
	}
	rk, _ := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("rotating")})
	kc.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: rk.KeyMetadata.KeyId})
	rc := rds.NewFromConfig(cfg)
	if _, err := rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), DBInstanceClass: aws.String("db.t3.micro"),
		Engine: aws.String("postgres"), MasterUsername: aws.String("app"), MasterUserPassword: aws.String("Passw0rd!Passw0rd"), AllocatedStorage: aws.Int32(20),
		StorageEncrypted: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	trailBucket := "trail-logs"
	sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &trailBucket})
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: &trailBucket, IsMultiRegionTrail: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
}

// TestAWSIntegration: moto seeded with known violations; the checks find
// exactly them.
func TestAWSIntegration(t *testing.T) {
	endpoint := mototest.Start(t, "vigil-unused")
	seedAWS(t, endpoint, 20, 6)
	s := newService(t)
	s.Kinds["aws"] = AWS{}
	cfg, _ := json.Marshal(map[string]any{"regions": []string{"us-east-1"}, "endpoint": endpoint})
	x := &vigil.Integration{Kind: "aws", Name: "prod account", Config: cfg, Interval: 3600, Enabled: true}
	got, why := connect(t, s, x, "test:test")
	count := func(check, verdict string) int {
		n := 0
		for k, v := range got {
			if strings.HasPrefix(k, check+" ") && v == verdict {
				n++
			}
		}
		return n
	}
	if got["aws.users-mfa iam users"] != "fail" || !strings.Contains(why["aws.users-mfa iam users"], "user0010") || strings.Contains(why["aws.users-mfa iam users"], "user0011") {
		t.Errorf("console users without MFA: %s %s", got["aws.users-mfa iam users"], why["aws.users-mfa iam users"])
	}
	if got["aws.root-mfa root"] == "" || got["aws.root-no-keys root"] == "" {
		t.Errorf("root checks missing: %v", got)
	}
	if n, m := count("aws.s3-encryption", "fail"), count("aws.s3-encryption", "pass"); n != 5 || m != 3 { // 3 of 6 seeded, the trail bucket and the helper's bucket unencrypted; 3 encrypted
		t.Errorf("s3 encryption: %d fail, %d pass", n, m)
	}
	if n := count("aws.s3-public-block", "fail"); n != 5 {
		t.Errorf("s3 public block: %d fail", n)
	}
	// 6 seeded: 0 and 3 versioned, 1 and 4 suspended, 2 and 5 never, and
	// the trail bucket and the helper's bucket never.
	if n, m := count("aws.s3-versioning", "fail"), count("aws.s3-versioning", "pass"); n != 6 || m != 2 ||
		!strings.Contains(why["aws.s3-versioning bucket-0001"], "suspended") || !strings.Contains(why["aws.s3-versioning bucket-0002"], "never") {
		t.Errorf("s3 versioning: %d fail, %d pass; %q %q", n, m, why["aws.s3-versioning bucket-0001"], why["aws.s3-versioning bucket-0002"])
	}
	if got["aws.cloudtrail cloudtrail"] != "fail" || !strings.Contains(why["aws.cloudtrail cloudtrail"], "single-region") {
		t.Errorf("cloudtrail: %s %s", got["aws.cloudtrail cloudtrail"], why["aws.cloudtrail cloudtrail"])
	}
	if n := count("aws.sg-admin-ports", "fail"); n != 1 {
		t.Errorf("security groups open on admin ports: %d, want 1 (bastion)", n)
	}
	if count("aws.ebs-encrypted", "fail") != 1 || count("aws.ebs-encrypted", "pass") != 1 {
		t.Errorf("ebs: %v", got)
	}
	if got["aws.password-policy password policy"] != "fail" {
		t.Errorf("password policy: %s %s", got["aws.password-policy password policy"], why["aws.password-policy password policy"])
	}
	// moto adds a key of its own for RDS: at least the planted one fails.
	if count("aws.kms-rotation", "fail") < 1 || count("aws.kms-rotation", "pass") != 1 {
		t.Errorf("kms rotation: %v", got)
	}
	if got["aws.rds-encrypted us-east-1/orders"] != "fail" {
		t.Errorf("rds: %q %s", got["aws.rds-encrypted us-east-1/orders"], why["aws.rds-encrypted us-east-1/orders"])
	}
	if got["aws.guardduty us-east-1"] != "fail" {
		t.Errorf("guardduty: %q %s", got["aws.guardduty us-east-1"], why["aws.guardduty us-east-1"])
	}
	// The same account through an assumed role (moto accepts any role).
	cfg2, _ := json.Marshal(map[string]any{"regions": []string{"us-east-1"}, "endpoint": endpoint, "role_arn": "arn:aws:iam::123456789012:role/vigil-audit", "external_id": "x1"})
	y := &vigil.Integration{Kind: "aws", Name: "via role", Config: cfg2, Interval: 3600, Enabled: true}
	if err := s.Create(ctx, y, "test:test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Test(ctx, y.ID); err != nil {
		t.Fatalf("assumed role: %v", err)
	}
	for k, v := range got {
		if v == "error" {
			t.Errorf("%s could not be judged: %s", k, why[k])
		}
	}
}
