package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// seedCompute plants a careless CloudFront distribution (HTTP to viewers,
// the default certificate, an S3 origin without origin access), EKS
// clusters with a public and a private endpoint, an unattached Elastic IP
// and an API stage without logging or tracing.
func seedCompute(ctx context.Context, cfg aws.Config, must func(any, error)) {
	cf := cloudfront.NewFromConfig(cfg)
	careless, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("careless"), Comment: aws.String("careless"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("assets"), DomainName: aws.String("assets.s3.amazonaws.com"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("assets"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")}}})
	must(careless, err)
	distributions["careless"] = aws.ToString(careless.Distribution.Id) + " (" + aws.ToString(careless.Distribution.DomainName) + ")"

	// The careful one: HTTPS only, its own certificate with TLS 1.2,
	// logging, a web ACL, and a load balancer for origin: moto answers no
	// S3OriginConfig and no OriginAccessControlId at all, so a protected
	// bucket origin cannot be shown here (TestAWSCloudFrontOrigins judges
	// those shapes). moto also leaves CloudFrontDefaultCertificate true
	// unless told otherwise; AWS sets it false with one's own certificate.
	careful, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("careful"), Comment: aws.String("careful"), Enabled: aws.Bool(true), DefaultRootObject: aws.String("index.html"),
		WebACLId: aws.String("arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1234"),
		Logging:  &cftypes.LoggingConfig{Enabled: aws.Bool(true), Bucket: aws.String("cf-logs.s3.amazonaws.com"), Prefix: aws.String("careful/"), IncludeCookies: aws.Bool(false)},
		ViewerCertificate: &cftypes.ViewerCertificate{ACMCertificateArn: aws.String("arn:aws:acm:us-east-1:123456789012:certificate/edge"), CloudFrontDefaultCertificate: aws.Bool(false),
			SSLSupportMethod: cftypes.SSLSupportMethodSniOnly, MinimumProtocolVersion: cftypes.MinimumProtocolVersionTLSv122021},
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("site"), DomainName: aws.String("web-123.us-east-1.elb.amazonaws.com"),
			CustomOriginConfig: &cftypes.CustomOriginConfig{HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpsOnly}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("site"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")}}})
	must(careful, err)
	distributions["careful"] = aws.ToString(careful.Distribution.Id) + " (" + aws.ToString(careful.Distribution.DomainName) + ")"

	k := eks.NewFromConfig(cfg)
	for name, public := range map[string]bool{"open": true, "private": false} {
		in := &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}, EndpointPublicAccess: aws.Bool(public), EndpointPrivateAccess: aws.Bool(true)}}
		if !public {
			in.EncryptionConfig = []ekstypes.EncryptionConfig{{Resources: []string{"secrets"}, Provider: &ekstypes.Provider{KeyArn: aws.String("arn:aws:kms:us-east-1:123456789012:key/k")}}}
			in.Logging = &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Enabled: aws.Bool(true), Types: []ekstypes.LogType{ekstypes.LogTypeAudit}}}}
		}
		must(k.CreateCluster(ctx, in))
	}

	ec := ec2.NewFromConfig(cfg)
	idle, err := ec.AllocateAddress(ctx, &ec2.AllocateAddressInput{})
	must(idle, err)
	idleEIP = aws.ToString(idle.PublicIp)
	// An address in use: associated with an instance.
	inst, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	must(inst, err)
	used, err := ec.AllocateAddress(ctx, &ec2.AllocateAddressInput{})
	must(used, err)
	must(ec.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: used.AllocationId, InstanceId: inst.Instances[0].InstanceId}))
	usedEIP = aws.ToString(used.PublicIp)

	gw := apigateway.NewFromConfig(cfg)
	api, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("orders")})
	must(api, err)
	res, err := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	must(res, err)
	root := res.Items[0].Id
	must(gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}))
	must(gw.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: root, HttpMethod: aws.String("GET"), Type: apigwtypes.IntegrationTypeMock}))
	dep, err := gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id})
	must(dep, err)
	must(gw.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, StageName: aws.String("prod"), DeploymentId: dep.Id}))
	// A stage that logs every method's execution and is traced.
	must(gw.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: api.Id, StageName: aws.String("audited"), DeploymentId: dep.Id, TracingEnabled: true}))
	must(gw.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: api.Id, StageName: aws.String("audited"), PatchOperations: []apigwtypes.PatchOperation{
		{Op: apigwtypes.OpReplace, Path: aws.String("/*/*/logging/loglevel"), Value: aws.String("INFO")}}}))
}

// The public addresses seedCompute allocates (one associated, one idle),
// and its distributions, "ID (DOMAIN)" by careful and careless.
var (
	usedEIP, idleEIP string
	distributions    = map[string]string{}
)

func TestAWSCompute(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, seedCompute)
	want := wantCompute()
	expect(t, got, why, want)
	nd, eips := 0, 0
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "aws.cloudfront-"):
			nd++
			// The careless distribution fails every CloudFront check, the
			// careful one passes each (its id does not name it; the
			// reasons of the careless one do).
			if v == "fail" {
				shown(k, v)
			} else if v == "pass" && !strings.Contains(why[k], "careless") {
				shown(k, v)
			} else {
				t.Errorf("%s: %s (%s)", k, v, why[k])
			}
		case strings.HasPrefix(k, "aws.ec2-eip-attached "):
			eips++
			if want := map[bool]string{true: "pass", false: "fail"}[strings.Contains(k, usedEIP)]; v != want {
				t.Errorf("%s: %s, want %s", k, v, want)
			} else {
				shown(k, v)
			}
		}
	}
	if nd != 10 || eips != 2 {
		t.Errorf("%d CloudFront results (want 10), %d Elastic IPs (want 2)", nd, eips)
	}
	for _, c := range []string{"aws.cloudfront-https", "aws.cloudfront-tls", "aws.cloudfront-logging", "aws.cloudfront-origin-access", "aws.cloudfront-waf"} {
		pass, fail := 0, 0
		for k, v := range got {
			if strings.HasPrefix(k, c+" ") {
				pass += map[bool]int{true: 1}[v == "pass"]
				fail += map[bool]int{true: 1}[v == "fail"]
			}
		}
		if pass != 1 || fail != 1 {
			for k := range got {
				if strings.HasPrefix(k, c+" ") {
					t.Logf("%s: %s", k, why[k])
				}
			}
			t.Errorf("%s: %d pass, %d fail; want one of each (careful, careless)", c, pass, fail)
		}
	}
}

// TestAWSPanicIsAnError: a read that panics (a bug) leaves an error on
// the checks of its part, and the rest of the account is still judged.
func TestAWSPanicIsAnError(t *testing.T) {
	saved := awsRegionalReads
	t.Cleanup(func() { awsRegionalReads = saved })
	awsRegionalReads = append(append([]awsRegional{}, saved...), awsRegional{"aws.ec2", "instances",
		func(context.Context, aws.Config, *awsConfig, string) []any { panic("boom") }})
	got, why := motoAccount(t, []string{"us-east-1"}, func(context.Context, aws.Config, func(any, error)) {})
	if got["aws.ec2-imdsv2 us-east-1"] != "error" || !strings.Contains(why["aws.ec2-imdsv2 us-east-1"], "boom") {
		t.Errorf("the panicking read: %q (%s)", got["aws.ec2-imdsv2 us-east-1"], why["aws.ec2-imdsv2 us-east-1"])
	}
	if got["aws.guardduty us-east-1"] != "fail" {
		t.Errorf("the rest of the account was not judged: guardduty %q", got["aws.guardduty us-east-1"])
	}
}

// TestAWSCloudFrontOrigins: which origins are buckets reached without
// origin access control or identity, on the shapes CloudFront answers
// (moto answers neither S3OriginConfig nor OriginAccessControlId).
func TestAWSCloudFrontOrigins(t *testing.T) {
	for name, c := range map[string]struct {
		o    cftypes.Origin
		open bool
	}{
		"access control": {cftypes.Origin{DomainName: aws.String("a.s3.us-east-1.amazonaws.com"), OriginAccessControlId: aws.String("E2QWRUHAPOMQZL"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}}, false},
		"access identity": {cftypes.Origin{DomainName: aws.String("a.s3.amazonaws.com"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("origin-access-identity/cloudfront/E1")}}, false},
		"bucket, no identity":      {cftypes.Origin{DomainName: aws.String("a.s3.amazonaws.com"), S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}}, true},
		"bucket endpoint, no form": {cftypes.Origin{DomainName: aws.String("a.s3.eu-west-1.amazonaws.com")}, true},
		"load balancer": {cftypes.Origin{DomainName: aws.String("web.elb.amazonaws.com"),
			CustomOriginConfig: &cftypes.CustomOriginConfig{OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpsOnly}}, false},
	} {
		c.o.Id = aws.String("o")
		m := distribution("d", &cftypes.DistributionConfig{Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{c.o}}})
		if open := len(m["s3_origins_open"].([]any)) > 0; open != c.open {
			t.Errorf("%s: open %t, want %t", name, open, c.open)
		}
	}
}

// wantCompute is what TestAWSCompute wants of its seeded account.
func wantCompute() map[string]string {
	want := map[string]string{
		"aws.eks-endpoint-private us-east-1/open":         "fail",
		"aws.eks-endpoint-private us-east-1/private":      "pass",
		"aws.eks-secrets-encrypted us-east-1/open":        "fail",
		"aws.eks-secrets-encrypted us-east-1/private":     "pass",
		"aws.eks-audit-logging us-east-1/open":            "fail",
		"aws.eks-audit-logging us-east-1/private":         "pass",
		"aws.apigateway-logging us-east-1/orders/prod":    "fail",
		"aws.apigateway-tracing us-east-1/orders/prod":    "fail",
		"aws.apigateway-logging us-east-1/orders/audited": "pass",
		"aws.apigateway-tracing us-east-1/orders/audited": "pass",
		"aws.ec2-eip-attached us-east-1/" + usedEIP:       "pass",
		"aws.ec2-eip-attached us-east-1/" + idleEIP:       "fail",
	}
	for _, c := range []string{"aws.cloudfront-https", "aws.cloudfront-tls", "aws.cloudfront-logging", "aws.cloudfront-origin-access", "aws.cloudfront-waf"} {
		want[c+" "+distributions["careful"]] = "pass"
		want[c+" "+distributions["careless"]] = "fail"
	}
	return want
}
