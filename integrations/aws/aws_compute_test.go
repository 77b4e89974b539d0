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
	must(cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("careless"), Comment: aws.String("careless"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("assets"), DomainName: aws.String("assets.s3.amazonaws.com"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("assets"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")}}}))

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

	must(ec2.NewFromConfig(cfg).AllocateAddress(ctx, &ec2.AllocateAddressInput{}))

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
}

func TestAWSCompute(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, seedCompute)
	want := map[string]string{
		"aws.eks-endpoint-private us-east-1/open":      "fail",
		"aws.eks-endpoint-private us-east-1/private":   "pass",
		"aws.eks-secrets-encrypted us-east-1/open":     "fail",
		"aws.eks-secrets-encrypted us-east-1/private":  "pass",
		"aws.eks-audit-logging us-east-1/open":         "fail",
		"aws.eks-audit-logging us-east-1/private":      "pass",
		"aws.apigateway-logging us-east-1/orders/prod": "fail",
		"aws.apigateway-tracing us-east-1/orders/prod": "fail",
	}
	expect(t, got, why, want)
	distributions, eips := 0, 0
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "aws.cloudfront-"):
			distributions++
			if v != "fail" {
				t.Errorf("%s: %s (%s), want fail: the distribution is careless in every way", k, v, why[k])
			}
		case strings.HasPrefix(k, "aws.ec2-eip-attached "):
			eips++
			if v != "fail" {
				t.Errorf("%s: %s, want fail", k, v)
			}
		}
	}
	if distributions != 5 || eips != 1 {
		t.Errorf("%d CloudFront results (want 5), %d Elastic IPs (want 1)", distributions, eips)
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
