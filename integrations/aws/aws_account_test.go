package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/vigil-soc/vigil/internal/mototest"
)

// TestAWSAccount: one account seeded with every area's planted problems
// and their look-alikes (IAM, network and services, storage, edge,
// compute, data stores, containers, resource policies, monitoring and the
// platform services), read in one run across two regions. Every planted
// problem is found, every look-alike passes, and nothing else fails but
// what a new AWS account violates of itself.
func TestAWSAccount(t *testing.T) {
	ids, fs := map[string]string{}, map[string]string{}
	var zones platformZones
	seeds := []seeder{seedIAM(t), seedNetwork(t, ids), seedStorage(t, fs), seedEdge(t), seedCompute, seedDatastores, seedContainers,
		seedResources(t), seedMonitoring(t), seedPlatform(&zones), seedBasics}
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
		wantResources(), wantPlatform(zones), wantBasics()} {
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
	// The monitoring area's trail: multi-region, logging every management
	// event, validated, encrypted with KMS, delivering to CloudWatch Logs;
	// it covers both regions.
	org := "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail"
	for _, c := range []string{"aws.cloudtrail-logging", "aws.cloudtrail-validation", "aws.cloudtrail-kms", "aws.cloudtrail-cloudwatch"} {
		want[c+" "+org] = "pass"
	}
	want["aws.cloudtrail us-east-1"], want["aws.cloudtrail eu-west-1"] = "pass", "pass"
	// The monitoring area: CIS 4.5's filter is alarmed and heard, the other
	// fourteen are missing or wrong.
	for _, id := range awsChecks(t) {
		if strings.HasPrefix(id, "aws.cis-4-") {
			want[id+" account"] = map[bool]string{true: "pass", false: "fail"}[strings.HasPrefix(id, "aws.cis-4-5-")]
		}
	}
	expect(t, got, why, want)
	// Every check is planted in this one account, both ways where one
	// account can show both (accountWide says why not).
	covered := map[string]map[string]bool{}
	for k, v := range want {
		id, _, _ := strings.Cut(k, " ")
		if covered[id] == nil {
			covered[id] = map[string]bool{}
		}
		covered[id][v] = true
	}
	for _, id := range awsChecks(t) {
		for _, v := range []string{"pass", "fail"} {
			if !covered[id][v] && accountWide[id+" "+v] == "" && unplantable[id+" "+v] == "" {
				t.Errorf("%s: no %s planted in the account", id, v)
			}
		}
	}
	// The resources the areas plant are made for the checks their area
	// names; their other settings are left as AWS makes them (a bucket
	// planted for TLS is also unencrypted), and AWS's own defaults (the
	// default VPC, its subnets and groups, account settings off until
	// turned on) fail as in any new account. Those failures are true and
	// are counted, not judged, here.
	other := 0
	for k, v := range got {
		switch {
		case v == "fail" && want[k] == "":
			other++
		case v == "error" && k != motoRootUse:
			t.Errorf("%s could not be judged: %s", k, why[k])
		}
	}
	t.Logf("%d results, %d planted and seen, %d other failures (settings left as AWS makes them)", len(got), len(want), other)
}

// seedBasics plants what the other areas do not: console users with and
// without MFA, users with one and two active keys, a careful and a
// careless bucket, and EBS encryption by default in eu-west-1 only.
func seedBasics(ctx context.Context, cfg aws.Config, must func(any, error)) {
	ic := iam.NewFromConfig(cfg)
	for _, u := range []string{"guarded", "two-keys"} {
		must(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))
	}
	must(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("guarded"), Password: aws.String("Passw0rd!Passw0rd!")}))
	dev, err := ic.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("guarded")})
	must(dev, err)
	must(ic.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("guarded"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")}))
	must(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("guarded")}))
	for range 2 {
		must(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("two-keys")}))
	}
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	for _, b := range []string{"basics-careful", "basics-careless"} {
		must(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))
	}
	must(sc.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("basics-careful"), ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms}}}}}))
	must(sc.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("basics-careful"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))
	must(sc.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("basics-careful"), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}}))
	must(sc.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("basics-careless"), ACL: s3types.BucketCannedACLPublicRead}))
	eu := cfg.Copy()
	eu.Region = "eu-west-1"
	must(ec2.NewFromConfig(eu).EnableEbsEncryptionByDefault(ctx, &ec2.EnableEbsEncryptionByDefaultInput{}))
}

// wantBasics is what seedBasics plants.
func wantBasics() map[string]string {
	want := map[string]string{
		"aws.users-mfa guarded": "pass", "aws.users-mfa fresh": "fail",
		"aws.keys-one-active guarded": "pass", "aws.keys-one-active two-keys": "fail",
		"aws.keys-rotated guarded key 1":       "pass",
		"aws.ebs-default-encryption eu-west-1": "pass", "aws.ebs-default-encryption us-east-1": "fail",
		// moto's account summary: no root MFA, no root keys.
		"aws.root-mfa root": "fail", "aws.root-no-keys root": "pass",
	}
	for _, c := range []string{"aws.s3-encryption", "aws.s3-versioning", "aws.s3-public-block", "aws.s3-public"} {
		want[c+" basics-careful"], want[c+" basics-careless"] = "pass", "fail"
	}
	return want
}

// accountWide are the checks with one result for the whole account, which
// one account shows one way only; the other way is planted in another
// test's account.
var accountWide = map[string]string{
	"aws.cloudtrail fail":                         "the monitoring trail covers every region; TestAWSPlanted leaves regions uncovered",
	"aws.cis-4-5-cloudtrail-changes fail":         "the monitoring area alarms CIS 4.5; TestAWSIntegration's account has no filter",
	"aws.cis-4-1-unauthorized-api-calls pass":     "the monitoring area's filters are wrong or missing; TestAWSMonitoringComplete has CIS's",
	"aws.cis-4-2-console-signin-without-mfa pass": "as 4.1", "aws.cis-4-3-root-usage pass": "as 4.1", "aws.cis-4-4-iam-policy-changes pass": "as 4.1",
	"aws.cis-4-6-console-auth-failures pass": "as 4.1", "aws.cis-4-7-cmk-disable-or-deletion pass": "as 4.1", "aws.cis-4-8-s3-bucket-policy-changes pass": "as 4.1",
	"aws.cis-4-9-config-changes pass": "as 4.1", "aws.cis-4-10-security-group-changes pass": "as 4.1", "aws.cis-4-11-nacl-changes pass": "as 4.1",
	"aws.cis-4-12-network-gateway-changes pass": "as 4.1", "aws.cis-4-13-route-table-changes pass": "as 4.1", "aws.cis-4-14-vpc-changes pass": "as 4.1",
	"aws.cis-4-15-organizations-changes pass": "as 4.1",
	"aws.password-length fail":                "the account has a password policy; TestAWSIntegration's has none",
	"aws.password-reuse fail":                 "the account has a password policy; TestAWSIntegration's has none",
	"aws.password-complexity fail":            "the account has a password policy; TestAWSIntegration's has none",
	"aws.iam-support-role fail":               "a role holds AWSSupportAccess; none does in TestAWSIntegration",
	"aws.s3-account-public-block pass":        "the account blocks nothing; TestAWSPlanted blocks all four",
	"aws.cloudtrail-s3-writes fail":           "the monitoring trail records S3 data events; TestAWSStorage's account has none",
	"aws.cloudtrail-s3-reads fail":            "the monitoring trail records S3 data events; TestAWSStorage's account has none",
}
