package aws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// seedStorage plants buckets with and without the S3 settings the checks
// judge (a TLS-only policy beside a look-alike that denies one principal
// only), EFS file systems, and a trail whose bucket keeps no access log.
func seedStorage(t *testing.T, fs map[string]string) seeder {
	return func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		for _, b := range []string{"tls-only", "one-principal", "access-logs", "logged", "trail-bucket", "acme-audit-1", "acme-audit-2"} {
			in := &s3.CreateBucketInput{Bucket: aws.String(b)}
			if b == "acme-audit-1" {
				in.ObjectLockEnabledForBucket = aws.Bool(true)
			}
			must(sc.CreateBucket(ctx, in))
		}
		deny := func(bucket, principal string) *string {
			return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":` + principal + `,"Action":"s3:*",
			"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
		}
		must(sc.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("tls-only"), Policy: deny("tls-only", `"*"`)}))
		must(sc.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("one-principal"), Policy: deny("one-principal", `{"AWS":"arn:aws:iam::123456789012:role/app"}`)}))
		// As in AWS, the log bucket must let the logging service write.
		must(sc.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("access-logs"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::access-logs/*",
		 "Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`)}))
		must(sc.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: aws.String("logged"), BucketLoggingStatus: &s3types.BucketLoggingStatus{
			LoggingEnabled: &s3types.LoggingEnabled{TargetBucket: aws.String("access-logs"), TargetPrefix: aws.String("logged/")}}}))
		// Object Ownership: enforced (ACLs off) and preferred (ACLs on).
		for b, own := range map[string]s3types.ObjectOwnership{"enforced": s3types.ObjectOwnershipBucketOwnerEnforced, "preferred": s3types.ObjectOwnershipBucketOwnerPreferred} {
			must(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))
			must(sc.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
				OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: own}}}}))
		}
		// Other accounts: one may do anything (s3:* covers the policy);
		// one may only read; everyone may put the policy, but a condition
		// keeps that to this account.
		for b, stmt := range map[string]string{
			"partner-admin": `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:*","Resource":["arn:aws:s3:::partner-admin","arn:aws:s3:::partner-admin/*"]}`,
			"partner-read":  `{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::partner-read","arn:aws:s3:::partner-read/*"]}`,
			"own-only":      `{"Effect":"Allow","Principal":"*","Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::own-only","Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}`,
		} {
			must(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))
			must(sc.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(`{"Version":"2012-10-17","Statement":[` + stmt + `]}`)}))
		}
		ct := cloudtrail.NewFromConfig(cfg)
		must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true)}))
		// A look-alike: a trail whose bucket keeps access logs.
		must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("audited"), S3BucketName: aws.String("logged"), IsMultiRegionTrail: aws.Bool(true)}))
		ddb := dynamodb.NewFromConfig(cfg)
		for name, careful := range map[string]bool{"ledger": true, "scratch": false} {
			must(ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
				AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
				KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}}, DeletionProtectionEnabled: aws.Bool(careful)}))
			if careful {
				must(ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(name),
					PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}}))
			}
		}
		ec := efs.NewFromConfig(cfg)
		for name, enc := range map[string]bool{"plain": false, "sealed": true} {
			f, err := ec.CreateFileSystem(ctx, &efs.CreateFileSystemInput{CreationToken: aws.String(name), Encrypted: aws.Bool(enc)})
			if err != nil {
				t.Fatal(err)
			}
			fs[name] = aws.ToString(f.FileSystemId)
		}
	}
}

func TestAWSStorage(t *testing.T) {
	fs := map[string]string{}
	got, why := motoAccount(t, []string{"us-east-1"}, seedStorage(t, fs))
	want := wantStorage(fs)
	expect(t, got, why, want)
}

// wantStorage is what TestAWSStorage wants of its seeded account.
func wantStorage(fs map[string]string) map[string]string {
	want := map[string]string{
		"aws.s3-tls-only tls-only":                                                              "pass",
		"aws.s3-tls-only one-principal":                                                         "fail",
		"aws.s3-tls-only logged":                                                                "fail",
		"aws.s3-access-logging logged":                                                          "pass",
		"aws.s3-access-logging tls-only":                                                        "fail",
		"aws.s3-mfa-delete tls-only":                                                            "fail",
		"aws.s3-object-lock acme-audit-1":                                                       "pass",
		"aws.s3-object-lock tls-only":                                                           "not_applicable",
		"aws.s3-account-public-block account":                                                   "fail",
		"aws.dynamodb-pitr us-east-1/ledger":                                                    "pass",
		"aws.dynamodb-pitr us-east-1/scratch":                                                   "fail",
		"aws.dynamodb-deletion-protection us-east-1/ledger":                                     "pass",
		"aws.dynamodb-deletion-protection us-east-1/scratch":                                    "fail",
		"aws.efs-encrypted us-east-1/" + fs["plain"]:                                            "fail",
		"aws.efs-encrypted us-east-1/" + fs["sealed"]:                                           "pass",
		"aws.cloudtrail-bucket-logging arn:aws:cloudtrail:us-east-1:123456789012:trail/main":    "fail",
		"aws.cloudtrail-bucket-logging arn:aws:cloudtrail:us-east-1:123456789012:trail/audited": "pass",
	}
	want["aws.cloudtrail-s3-writes account"] = "fail"
	want["aws.s3-object-lock acme-audit-2"] = "fail" // an audit bucket without Object Lock
	want["aws.cloudtrail-cloudwatch arn:aws:cloudtrail:us-east-1:123456789012:trail/main"] = "fail"
	want["aws.cloudtrail-kms arn:aws:cloudtrail:us-east-1:123456789012:trail/main"] = "fail"
	want["aws.cloudtrail-logging arn:aws:cloudtrail:us-east-1:123456789012:trail/main"] = "fail" // never started
	want["aws.cloudtrail-validation arn:aws:cloudtrail:us-east-1:123456789012:trail/main"] = "fail"
	want["aws.s3-acls-disabled enforced"] = "pass"
	want["aws.s3-acls-disabled preferred"] = "fail"
	want["aws.s3-acls-disabled tls-only"] = "fail" // no ownership controls at all
	want["aws.s3-no-other-account-admin partner-admin"] = "fail"
	want["aws.s3-no-other-account-admin partner-read"] = "pass"
	want["aws.s3-no-other-account-admin own-only"] = "pass"
	want["aws.s3-no-other-account-admin tls-only"] = "pass"
	want["aws.cloudtrail-s3-reads account"] = "fail"
	return want
}
