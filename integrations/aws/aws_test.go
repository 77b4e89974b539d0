package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/checks"
	"github.com/vigil-soc/vigil/integrations/aws/policy"
	"github.com/vigil-soc/vigil/integrations/integrationtest"
	"github.com/vigil-soc/vigil/integrations/kind"
	"github.com/vigil-soc/vigil/internal/mototest"
)

var ctx = integrationtest.Ctx

// seededAWS names what seedAWS planted that moto names: the bastion's
// security group, the plain and encrypted volumes, the key that does not
// rotate and the one that does.
type seededAWS struct {
	bastion, plainVolume, encryptedVolume, plainKey, rotatingKey string
}

// seedAWS plants compliant and non-compliant resources in moto.
func seedAWS(t testing.TB, endpoint string, users, buckets int) seededAWS {
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
	plainVol, err := ec.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8)})
	if err != nil {
		t.Fatal(err)
	}
	encVol, err := ec.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8), Encrypted: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	kc := kms.NewFromConfig(cfg)
	pk, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("app data")})
	if err != nil {
		t.Fatal(err)
	}
	rk, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("rotating")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: rk.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
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
	return seededAWS{bastion: aws.ToString(sg.GroupId), plainVolume: aws.ToString(plainVol.VolumeId), encryptedVolume: aws.ToString(encVol.VolumeId),
		plainKey: aws.ToString(pk.KeyMetadata.KeyId), rotatingKey: aws.ToString(rk.KeyMetadata.KeyId)}
}

// TestAWSIntegration: moto seeded with known violations; the checks find
// exactly them.
func TestAWSIntegration(t *testing.T) {
	endpoint := mototest.Start(t, "vigil-unused")
	seeded := seedAWS(t, endpoint, 20, 6)
	// A console user with a virtual MFA device: moto's credential report
	// shows mfa_active true once the device is enabled.
	ic := awsIn(t, endpoint, "us-east-1").iam
	must(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mfa-user")}))
	must(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("mfa-user"), Password: aws.String("Passw0rd!Passw0rd!")}))
	dev := must(ic.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("mfa-user")}))
	must(ic.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("mfa-user"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")}))
	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, AWS{})
	cfg, _ := json.Marshal(map[string]any{"regions": []string{"us-east-1"}, "endpoint": endpoint})
	x := &vigil.Integration{Kind: "aws", Name: "prod account", Config: cfg, Interval: 3600, Enabled: true}
	got, why := integrationtest.Connect(t, s, x, "test:test")
	count := func(check, verdict string) int {
		n := 0
		for k, v := range got {
			if strings.HasPrefix(k, check+" ") && v == verdict {
				n++
			}
		}
		return n
	}
	want := map[string]string{
		// moto's account summary has no root MFA; moto gives root no keys.
		"aws.root-mfa root": "fail", "aws.root-no-keys root": "pass",
		"aws.users-mfa mfa-user":   "pass",
		"aws.cloudtrail us-east-1": "fail",
		"aws.cloudtrail-logging arn:aws:cloudtrail:us-east-1:123456789012:trail/main":    "fail",
		"aws.cloudtrail-validation arn:aws:cloudtrail:us-east-1:123456789012:trail/main": "fail",
		"aws.ebs-default-encryption us-east-1":                                           "fail",
		"aws.ebs-encrypted us-east-1/" + seeded.plainVolume:                              "fail",
		"aws.ebs-encrypted us-east-1/" + seeded.encryptedVolume:                          "pass",
		"aws.kms-rotation us-east-1/" + seeded.plainKey:                                  "fail",
		"aws.kms-rotation us-east-1/" + seeded.rotatingKey:                               "pass",
		"aws.sg-admin-ports us-east-1/" + seeded.bastion + " bastion":                    "fail",
		"aws.rds-encrypted us-east-1/orders":                                             "fail",
		"aws.guardduty us-east-1":                                                        "fail",
		// No role holds AWSSupportAccess; no password policy is set.
		"aws.iam-support-role support role":       "fail",
		"aws.password-length password policy":     "fail",
		"aws.password-reuse password policy":      "fail",
		"aws.password-complexity password policy": "fail",
	}
	// One result per user: console users without MFA fail, users without
	// a console password are shown as not applicable.
	for i := range 20 {
		v := "not_applicable"
		if i%10 == 0 {
			v = "fail"
		}
		want[fmt.Sprintf("aws.users-mfa user%04d", i)] = v
	}
	// Buckets: even ones encrypted and blocked; versioning enabled, then
	// suspended, then never, by i%3. The trail's and the helper's bucket
	// have nothing set.
	for i := range 6 {
		b := fmt.Sprintf("bucket-%04d", i)
		want["aws.s3-public "+b] = "pass"
		want["aws.s3-encryption "+b] = [...]string{"pass", "fail"}[i%2]
		want["aws.s3-public-block "+b] = [...]string{"pass", "fail"}[i%2]
		want["aws.s3-versioning "+b] = [...]string{"pass", "fail", "fail"}[i%3]
	}
	for _, b := range []string{"trail-logs", "vigil-unused"} {
		for _, c := range []string{"aws.s3-encryption", "aws.s3-public-block", "aws.s3-versioning"} {
			want[c+" "+b] = "fail"
		}
		want["aws.s3-public "+b] = "pass"
	}
	// No trail delivers to CloudWatch Logs: every CIS 4.x metric filter
	// and alarm fails.
	reg, err := checks.Load()
	if err != nil {
		t.Fatal(err)
	}
	cis := 0
	for _, c := range reg.Checks() {
		if strings.HasPrefix(c.ID, "aws.cis-4-") {
			want[c.ID+" account"] = "fail"
			cis++
		}
	}
	if cis != 15 {
		t.Errorf("%d CIS 4.x checks, want 15", cis)
	}
	expect(t, got, why, want)
	if count("aws.users-mfa", "not_applicable") != 18 || count("aws.users-mfa", "fail") != 2 || count("aws.users-mfa", "pass") != 1 {
		t.Errorf("users-mfa: %d not applicable, %d fail, %d pass; want 18, 2, 1", count("aws.users-mfa", "not_applicable"),
			count("aws.users-mfa", "fail"), count("aws.users-mfa", "pass"))
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
	// The only trail is single-region and was never started: the region
	// is not covered, the trail is not logging and not validated.
	if got["aws.cloudtrail us-east-1"] != "fail" || !strings.Contains(why["aws.cloudtrail us-east-1"], "main (us-east-1) is not logging") ||
		count("aws.cloudtrail-logging", "fail") != 1 || count("aws.cloudtrail-validation", "fail") != 1 {
		t.Errorf("cloudtrail: %s %s", got["aws.cloudtrail us-east-1"], why["aws.cloudtrail us-east-1"])
	}
	if got["aws.ebs-default-encryption us-east-1"] != "fail" {
		t.Errorf("ebs default encryption: %q", got["aws.ebs-default-encryption us-east-1"])
	}
	if count("aws.s3-public", "pass") != 8 {
		t.Errorf("s3 public: %d private buckets, want 8", count("aws.s3-public", "pass"))
	}
	if n := count("aws.sg-admin-ports", "fail"); n != 1 {
		t.Errorf("security groups open on admin ports: %d, want 1 (bastion)", n)
	}
	if count("aws.ebs-encrypted", "fail") != 1 || count("aws.ebs-encrypted", "pass") != 1 {
		t.Errorf("ebs: %v", got)
	}
	if got["aws.password-length password policy"] != "fail" {
		t.Errorf("password policy: %s %s", got["aws.password-length password policy"], why["aws.password-length password policy"])
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
		if v == "error" && k != motoRootUse {
			t.Errorf("%s could not be judged: %s", k, why[k])
		}
	}
}

// awsClients are clients of moto in one region.
type awsClients struct {
	cfg aws.Config
	ct  *cloudtrail.Client
	ec  *ec2.Client
	s3  *s3.Client
	iam *iam.Client
	kms *kms.Client
}

func awsIn(t testing.TB, endpoint, region string) awsClients {
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(region), awsconfig.WithBaseEndpoint(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	return awsClients{cfg: cfg, ct: cloudtrail.NewFromConfig(cfg), ec: ec2.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), iam: iam.NewFromConfig(cfg), kms: kms.NewFromConfig(cfg)}
}

// must is for set-up calls in tests: a failure there panics, which fails
// the test with the call's stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// putAccountBlock sets the account's S3 Block Public Access in moto (the
// S3 Control client is not a dependency: the PUT is signed here).
func putAccountBlock(t *testing.T, c awsClients, endpoint string, b blockSettings) {
	t.Helper()
	body := fmt.Sprintf(`<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">`+
		`<BlockPublicAcls>%t</BlockPublicAcls><IgnorePublicAcls>%t</IgnorePublicAcls><BlockPublicPolicy>%t</BlockPublicPolicy>`+
		`<RestrictPublicBuckets>%t</RestrictPublicBuckets></PublicAccessBlockConfiguration>`, b.BlockPublicAcls, b.IgnorePublicAcls, b.BlockPublicPolicy, b.RestrictPublicBuckets)
	req, _ := http.NewRequest(http.MethodPut, endpoint+"/v20180820/configuration/publicAccessBlock", strings.NewReader(body))
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("x-amz-account-id", "123456789012")
	req.Header.Set("x-amz-content-sha256", hash)
	creds, err := c.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", c.cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("putting the account's Block Public Access: %s", resp.Status)
	}
}

// TestAWSPlanted plants each problem of issue 10 (items 7 and 8) in moto,
// beside compliant look-alikes, across three regions, and sees exactly
// the problems found, whatever the order of the regions setting.
func TestAWSPlanted(t *testing.T) {
	endpoint := mototest.Start(t, "vigil-unused")
	bg := context.Background()
	use1, euw1, usw2 := awsIn(t, endpoint, "us-east-1"), awsIn(t, endpoint, "eu-west-1"), awsIn(t, endpoint, "us-west-2")

	// CloudTrail: us-east-1 has its own logging, validated trail; eu-west-1
	// has one that was never started; a multi-region trail homed in
	// us-west-2 (a shadow trail in the two other regions) is logging but
	// records only read-only management events and is not validated.
	if _, err := use1.s3.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("trail-logs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := use1.ct.CreateTrail(bg, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-logs"), EnableLogFileValidation: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := use1.ct.StartLogging(bg, &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatal(err)
	}
	if _, err := euw1.ct.CreateTrail(bg, &cloudtrail.CreateTrailInput{Name: aws.String("eu-trail"), S3BucketName: aws.String("trail-logs"), EnableLogFileValidation: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	global, err := usw2.ct.CreateTrail(bg, &cloudtrail.CreateTrailInput{Name: aws.String("global"), S3BucketName: aws.String("trail-logs"), IsMultiRegionTrail: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := usw2.ct.StartLogging(bg, &cloudtrail.StartLoggingInput{Name: aws.String("global")}); err != nil {
		t.Fatal(err)
	}
	must(usw2.ct.PutEventSelectors(bg, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("global"),
		EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeReadOnly}}}))

	// IAM: two active keys; one active and one inactive; a console user
	// without MFA; a user with neither password nor MFA.
	for _, u := range []string{"two-keys", "rotating", "console", "api-only"} {
		if _, err := use1.iam.CreateUser(bg, &iam.CreateUserInput{UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := use1.iam.CreateAccessKey(bg, &iam.CreateAccessKeyInput{UserName: aws.String("two-keys")}); err != nil {
		t.Fatal(err)
	}
	if _, err := use1.iam.CreateAccessKey(bg, &iam.CreateAccessKeyInput{UserName: aws.String("two-keys")}); err != nil {
		t.Fatal(err)
	}
	if _, err := use1.iam.CreateAccessKey(bg, &iam.CreateAccessKeyInput{UserName: aws.String("rotating")}); err != nil {
		t.Fatal(err)
	}
	old, err := use1.iam.CreateAccessKey(bg, &iam.CreateAccessKeyInput{UserName: aws.String("rotating")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := use1.iam.UpdateAccessKey(bg, &iam.UpdateAccessKeyInput{UserName: aws.String("rotating"), AccessKeyId: old.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	if _, err := use1.iam.CreateLoginProfile(bg, &iam.CreateLoginProfileInput{UserName: aws.String("console"), Password: aws.String("Passw0rd!Passw0rd!")}); err != nil {
		t.Fatal(err)
	}

	// S3: a public-read ACL without Block Public Access, and one the
	// bucket's IgnorePublicAcls neutralises; a policy allowing "*", and
	// look-alikes restricted to an organization or a source account.
	for _, b := range []string{"acl-public", "acl-neutralised", "policy-public", "policy-org", "policy-source"} {
		if _, err := use1.s3.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{"acl-public", "acl-neutralised"} {
		if _, err := use1.s3.PutBucketAcl(bg, &s3.PutBucketAclInput{Bucket: aws.String(b), ACL: s3types.BucketCannedACLPublicRead}); err != nil {
			t.Fatal(err)
		}
	}
	must(use1.s3.PutPublicAccessBlock(bg, &s3.PutPublicAccessBlockInput{Bucket: aws.String("acl-neutralised"),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{IgnorePublicAcls: aws.Bool(true)}}))
	policy := func(bucket, cond string) *string {
		return aws.String(`{"Version": "2012-10-17", "Statement": [{"Sid": "read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::` + bucket + `/*"` + cond + `}]}`)
	}
	if _, err := use1.s3.PutBucketPolicy(bg, &s3.PutBucketPolicyInput{Bucket: aws.String("policy-public"), Policy: policy("policy-public", "")}); err != nil {
		t.Fatal(err)
	}
	must(use1.s3.PutBucketPolicy(bg, &s3.PutBucketPolicyInput{Bucket: aws.String("policy-org"),
		Policy: policy("policy-org", `, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}`)}))
	must(use1.s3.PutBucketPolicy(bg, &s3.PutBucketPolicyInput{Bucket: aws.String("policy-source"),
		Policy: policy("policy-source", `, "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}`)}))

	// EBS encryption by default: on in us-east-1 only.
	if _, err := use1.ec.EnableEbsEncryptionByDefault(bg, &ec2.EnableEbsEncryptionByDefaultInput{}); err != nil {
		t.Fatal(err)
	}
	// KMS: an asymmetric key, which cannot rotate automatically.
	rsa, err := euw1.kms.CreateKey(bg, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}

	s := integrationtest.NewService(t)
	s.Kinds = append(s.Kinds, AWS{})
	run := func(name string, regions ...string) (map[string]string, map[string]string) {
		cfg, _ := json.Marshal(map[string]any{"regions": regions, "endpoint": endpoint})
		return integrationtest.Connect(t, s, &vigil.Integration{Kind: "aws", Name: name, Config: cfg, Interval: 3600, Enabled: true}, "test:test")
	}
	got, why := run("forward", "us-east-1", "eu-west-1", "us-west-2")
	want := map[string]string{
		"aws.cloudtrail us-east-1": "pass", "aws.cloudtrail eu-west-1": "fail", "aws.cloudtrail us-west-2": "fail",
		"aws.cloudtrail-logging arn:aws:cloudtrail:us-east-1:123456789012:trail/main":        "pass",
		"aws.cloudtrail-logging arn:aws:cloudtrail:eu-west-1:123456789012:trail/eu-trail":    "fail",
		"aws.cloudtrail-logging " + aws.ToString(global.TrailARN):                            "pass",
		"aws.cloudtrail-validation arn:aws:cloudtrail:us-east-1:123456789012:trail/main":     "pass",
		"aws.cloudtrail-validation arn:aws:cloudtrail:eu-west-1:123456789012:trail/eu-trail": "pass",
		"aws.cloudtrail-validation " + aws.ToString(global.TrailARN):                         "fail",
		"aws.keys-one-active two-keys":                                                       "fail", "aws.keys-one-active rotating": "pass", "aws.keys-one-active console": "pass",
		"aws.keys-rotated two-keys key 1": "pass", "aws.keys-rotated two-keys key 2": "pass",
		"aws.keys-rotated rotating key 1": "pass", "aws.keys-rotated rotating key 2": "not_applicable",
		"aws.users-mfa console": "fail", "aws.users-mfa api-only": "not_applicable", "aws.users-mfa two-keys": "not_applicable",
		"aws.s3-public acl-public": "fail", "aws.s3-public acl-neutralised": "pass", "aws.s3-public policy-public": "fail",
		"aws.s3-public policy-org": "pass", "aws.s3-public policy-source": "pass", "aws.s3-public trail-logs": "pass",
		"aws.ebs-default-encryption us-east-1": "pass", "aws.ebs-default-encryption eu-west-1": "fail", "aws.ebs-default-encryption us-west-2": "fail",
		"aws.kms-rotation eu-west-1/" + aws.ToString(rsa.KeyMetadata.KeyId): "not_applicable",
	}
	expect(t, got, why, want)
	// Exactly the planted problems: one result per trail ARN (the shadow
	// trail listed in three regions is one trail).
	for _, check := range []string{"aws.cloudtrail-logging", "aws.cloudtrail-validation", "aws.s3-public", "aws.keys-one-active", "aws.ebs-default-encryption"} {
		var found []string
		for k, v := range got {
			if strings.HasPrefix(k, check+" ") && v == "fail" && want[k] != "fail" {
				found = append(found, k)
			}
		}
		if len(found) > 0 {
			t.Errorf("unplanted failures: %v", found)
		}
	}
	n := 0
	for k := range got {
		if strings.HasPrefix(k, "aws.cloudtrail-logging ") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d trails judged, want 3 (the shadow trail once)", n)
	}
	for _, w := range []string{"eu-trail (eu-west-1) is not logging", "global (us-west-2) does not record all management events"} {
		if !strings.Contains(why["aws.cloudtrail eu-west-1"], w) {
			t.Errorf("eu-west-1 coverage: %q lacks %q", why["aws.cloudtrail eu-west-1"], w)
		}
	}
	if !strings.Contains(why["aws.s3-public acl-public"], "READ to AllUsers") || !strings.Contains(why["aws.s3-public policy-public"], `statement "read" allows anyone`) {
		t.Errorf("s3 public reasons: %q %q", why["aws.s3-public acl-public"], why["aws.s3-public policy-public"])
	}
	for k, v := range got {
		if v == "error" && k != motoRootUse {
			t.Errorf("%s could not be judged: %s", k, why[k])
		}
	}

	// The same account with the regions in another order: the same
	// verdicts, and the same input.
	back, whyBack := run("backward", "us-west-2", "eu-west-1", "us-east-1", "eu-west-1")
	for k, v := range got {
		if back[k] != v {
			t.Errorf("regions reversed: %s is %q (%s), was %q", k, back[k], whyBack[k], v)
		}
	}
	if len(back) != len(got) {
		t.Errorf("regions reversed: %d results, was %d", len(back), len(got))
	}
	now := time.Now()
	collect := func(regions ...string) string {
		cfg, _ := json.Marshal(map[string]any{"regions": regions, "endpoint": endpoint})
		in, err := AWS{}.Collect(ctx, &kind.Run{Config: cfg, Secret: "test:test", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return string(must(json.Marshal(in)))
	}
	if a, b := collect("us-east-1", "eu-west-1", "us-west-2"), collect("us-west-2", "us-east-1", "eu-west-1"); a != b {
		t.Errorf("the input depends on the order of the regions:\n%s\n%s", a, b)
	}

	// The multi-region trail records every management event: it covers
	// all three regions, eu-west-1 through its shadow.
	must(usw2.ct.PutEventSelectors(bg, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("global"),
		EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}}))
	// The account's Block Public Access neutralises the public ACL and
	// the public policy.
	putAccountBlock(t, use1, endpoint, blockSettings{IgnorePublicAcls: true, RestrictPublicBuckets: true})
	got, why = run("after", "us-east-1", "eu-west-1", "us-west-2")
	expect(t, got, why, map[string]string{
		"aws.cloudtrail eu-west-1": "pass", "aws.cloudtrail us-west-2": "pass", "aws.s3-public acl-public": "pass", "aws.s3-public policy-public": "pass",
		// Two of the four settings are not all four.
		"aws.s3-public-block acl-public": "fail", "aws.s3-account-public-block account": "fail",
	})
	// All four at the account level cover every bucket.
	putAccountBlock(t, use1, endpoint, blockSettings{true, true, true, true})
	got, why = run("account blocks all", "us-east-1")
	expect(t, got, why, map[string]string{"aws.s3-account-public-block account": "pass", "aws.s3-public-block acl-public": "pass"})
	for k, v := range got {
		if !strings.HasPrefix(k, "aws.s3-public-block ") {
			continue
		}
		if v != "pass" {
			t.Errorf("%s: %q (%s), want pass: the account blocks public access", k, v, why[k])
			continue
		}
		shown(k, v)
	}
}

// TestAWSPublicPolicy: which statements count as public, including shapes
// moto does not store (NotPrincipal, IfExists, wide networks).
func TestAWSPublicPolicy(t *testing.T) {
	stmt := func(s string) string { return `{"Version": "2012-10-17", "Statement": ` + s + `}` }
	for _, c := range []struct {
		doc    string
		public bool
	}{
		{stmt(`{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}`), true},
		{stmt(`[{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*"}]`), true},
		{stmt(`[{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}, "Action": "s3:*"}]`), true},
		{stmt(`[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "s3:*"}]`), true},
		{stmt(`[{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*"}]`), true},
		{stmt(`[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}}]`), true},
		{stmt(`[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}]`), true},
		{stmt(`[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}]`), true},
		{stmt(`[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]`), true},
		{stmt(`[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]`), false},
		{stmt(`[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d"]}}}]`), false},
		{stmt(`[{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/48"]}}}]`), false},
		{stmt(`[{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject"}]`), false},
		{stmt(`[{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]`), false},
	} {
		d, err := policy.Parse(c.doc)
		if err != nil {
			t.Fatalf("%s: %v", c.doc, err)
		}
		found := publicStatements(d)
		if (len(found) > 0) != c.public {
			t.Errorf("%s: public %v, want %v", c.doc, found, c.public)
		}
	}
	for _, bad := range []string{`not json`, stmt(`[{"Effect": "Allow", "Principal": 7}]`), stmt(`[{"Effect": "Allow", "Principal": "*", "Condition": 7}]`)} {
		if _, err := policy.Parse(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestAWSManagementEvents: the event selector shapes AWS documents; moto
// keeps the basic ones only.
func TestAWSManagementEvents(t *testing.T) {
	field := func(f string, eq ...string) cttypes.AdvancedFieldSelector {
		return cttypes.AdvancedFieldSelector{Field: aws.String(f), Equals: eq}
	}
	for _, c := range []struct {
		name     string
		basic    []cttypes.EventSelector
		advanced []cttypes.AdvancedEventSelector
		custom   bool
		want     bool
	}{
		{"the default", nil, nil, false, true},
		{"custom but empty", nil, nil, true, false},
		{"all", []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}, nil, true, true},
		{"write only", []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeWriteOnly}}, nil, true, false},
		{"data only", []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(false), ReadWriteType: cttypes.ReadWriteTypeAll}}, nil, true, false},
		{"advanced management", nil, []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Management")}}}, true, true},
		{"advanced management, reads only", nil, []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{
			field("eventCategory", "Management"), field("readOnly", "true")}}}, true, false},
		{"advanced data only", nil, []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{
			field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")}}}, true, false},
	} {
		if got := allManagementEvents(c.basic, c.advanced, c.custom); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestAWSExposure: a bucket's public ACL or policy against the bucket's
// and the account's Block Public Access, known and unknown.
func TestAWSExposure(t *testing.T) {
	acl := []any{"ACL grants READ to AllUsers"}
	on := &blockSettings{true, true, true, true}
	ignore := &blockSettings{IgnorePublicAcls: true}
	off := &blockSettings{}
	for _, c := range []struct {
		name            string
		bucket, account *blockSettings
		aclErr          string
		public, block   string // "yes", "no", "error"
	}{
		{"no block anywhere", off, off, "", "yes", "no"},
		{"the bucket ignores public ACLs", ignore, off, "", "no", "no"},
		{"the account ignores public ACLs", off, ignore, "", "no", "no"},
		{"the account blocks everything", off, on, "", "no", "yes"},
		{"the account unread, the bucket ignores", ignore, nil, "", "no", "error"},
		{"the account unread, the bucket does not", off, nil, "", "error", "error"},
		{"the bucket unread, the account blocks everything", nil, on, "", "no", "yes"},
		{"the bucket unread, the account does not", nil, off, "", "error", "error"},
		{"the ACL unread and not ignored", off, off, "s3:GetBucketAcl on b: access denied", "error", "no"},
		{"the ACL unread but ignored", off, ignore, "s3:GetBucketAcl on b: access denied", "no", "no"},
	} {
		m := map[string]any{"id": "b", "public_acl": acl, "public_policy": []any{}}
		if c.aclErr != "" {
			m["acl_error"], m["public_acl"] = c.aclErr, []any{}
		}
		if c.bucket == nil {
			m["public_block_error"] = "s3:GetBucketPublicAccessBlock on b: access denied"
		}
		s3Exposure(m, c.bucket, c.account, "s3:GetAccountPublicAccessBlock: access denied")
		public := "no"
		if m["public_error"] != nil {
			public = "error"
		} else if !m["acl_ignored"].(bool) && len(m["public_acl"].([]any)) > 0 {
			public = "yes"
		}
		block := "no"
		if m["public_block_error"] != nil {
			block = "error"
		} else if m["public_block"] == true {
			block = "yes"
		}
		if public != c.public || block != c.block {
			t.Errorf("%s: public %s, block %s; want %s, %s (%v)", c.name, public, block, c.public, c.block, m)
		}
	}
}

// TestAWSAccountBlockParse: S3 Control's answers as AWS documents them.
func TestAWSAccountBlockParse(t *testing.T) {
	b, err := parseAccountBlock(200, []byte(`<?xml version="1.0" encoding="UTF-8"?>
<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>true</BlockPublicAcls>
<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`))
	if err != nil || *b != (blockSettings{true, true, false, true}) {
		t.Errorf("%+v %v", b, err)
	}
	if b, err := parseAccountBlock(404, []byte(`<ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>none</Message></Error></ErrorResponse>`)); err != nil || *b != (blockSettings{}) {
		t.Errorf("none set: %+v %v", b, err)
	}
	if _, err := parseAccountBlock(403, []byte(`<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)); err == nil ||
		!strings.Contains(err.Error(), "s3:GetAccountPublicAccessBlock: access denied") {
		t.Errorf("denied: %v", err)
	}
	if _, err := parseAccountBlock(500, []byte(`gateway timeout`)); err == nil {
		t.Error("a server error read as no block")
	}
}

// TestAWSCredentialReport: a report the checks cannot trust is an error,
// never "no users" or "no keys".
func TestAWSCredentialReport(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	head := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
	row := "ci,arn:aws:iam::123456789012:user/ci,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false," +
		"true,2026-05-01T00:00:00+00:00,N/A,N/A,N/A,false,2025-01-01T00:00:00+00:00,2025-02-01T00:00:00+00:00,us-east-1,s3,false,N/A,false,N/A\n"
	users, _, err := parseCredentialReport([]byte(head+row), now)
	if err != nil {
		t.Fatal(err)
	}
	keys := users[0].(map[string]any)["keys"].([]any)
	if len(keys) != 2 || keys[0].(map[string]any)["age_days"] != 31 || keys[1].(map[string]any)["active"] != false {
		t.Errorf("keys: %v", keys)
	}
	if _, _, err := parseCredentialReport([]byte(strings.Replace(head, "access_key_2_active", "access_key_2_status", 1)+row), now); err == nil {
		t.Error("a report without access_key_2_active read as users with one key")
	}
	noDate := strings.Replace(row, "true,2026-05-01T00:00:00+00:00", "true,N/A", 1)
	users, _, err = parseCredentialReport([]byte(head+noDate), now)
	if err != nil || users[0].(map[string]any)["keys"].([]any)[0].(map[string]any)["error"] == nil {
		t.Errorf("an active key without a creation date: %v %v", users, err)
	}
	if _, _, err := parseCredentialReport([]byte(head+"ci,arn\n"), now); err == nil {
		t.Error("a short line read as a user")
	}
	// The root line gives the root account's last use; a console user
	// who never signed in has been idle since the user was created.
	rootRow := "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-05-22T00:00:00+00:00,not_supported,not_supported,true," +
		"false,N/A,N/A,N/A,N/A,true,2024-01-01T00:00:00+00:00,2026-05-30T00:00:00+00:00,us-east-1,iam,false,N/A,false,N/A\n"
	newcomer := "ann,arn:aws:iam::123456789012:user/ann,2026-04-01T00:00:00+00:00,true,no_information,N/A,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	users, root, err := parseCredentialReport([]byte(head+rootRow+newcomer), now)
	if err != nil || root["last_used_days"] != 2 || users[0].(map[string]any)["password_idle_days"] != 61 {
		t.Errorf("root %v, users %v, %v", root, users, err)
	}
	if _, root, _ := parseCredentialReport([]byte(head+newcomer), now); root["error"] == nil {
		t.Errorf("no root line read as a root never used: %v", root)
	}
}

// TestAWSS3DataEvents: the selector shapes that record every bucket's
// object events, and look-alikes that record some buckets or some events.
func TestAWSS3DataEvents(t *testing.T) {
	basic := func(rw cttypes.ReadWriteType, values ...string) []cttypes.EventSelector {
		return []cttypes.EventSelector{{ReadWriteType: rw, DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: values}}}}
	}
	field := func(f string, eq ...string) cttypes.AdvancedFieldSelector {
		return cttypes.AdvancedFieldSelector{Field: aws.String(f), Equals: eq}
	}
	adv := func(fs ...cttypes.AdvancedFieldSelector) []cttypes.AdvancedEventSelector {
		return []cttypes.AdvancedEventSelector{{FieldSelectors: fs}}
	}
	for _, c := range []struct {
		name          string
		basic         []cttypes.EventSelector
		advanced      []cttypes.AdvancedEventSelector
		writes, reads bool
	}{
		{"all buckets, all events", basic(cttypes.ReadWriteTypeAll, "arn:aws:s3"), nil, true, true},
		{"all buckets, writes", basic(cttypes.ReadWriteTypeWriteOnly, "arn:aws:s3"), nil, true, false},
		{"one bucket", basic(cttypes.ReadWriteTypeAll, "arn:aws:s3:::logs/"), nil, false, false},
		{"advanced, all", nil, adv(field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")), true, true},
		{"advanced, reads", nil, adv(field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object"), field("readOnly", "true")), false, true},
		{"advanced, some buckets", nil, adv(field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object"), field("resources.ARN", "arn:aws:s3:::logs/")), false, false},
		{"advanced, Lambda data", nil, adv(field("eventCategory", "Data"), field("resources.type", "AWS::Lambda::Function")), false, false},
	} {
		w, r := allS3DataEvents(c.basic, c.advanced)
		if w != c.writes || r != c.reads {
			t.Errorf("%s: writes %v reads %v, want %v %v", c.name, w, r, c.writes, c.reads)
		}
	}
}
