package aws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	ostypes "github.com/aws/aws-sdk-go-v2/service/opensearch/types"
	"github.com/aws/aws-sdk-go-v2/service/redshift"
)

// seedDatastores plants a careful and a careless one of each: ECR
// repositories, Redshift clusters, ElastiCache groups, OpenSearch domains.
func seedDatastores(ctx context.Context, cfg aws.Config, must func(any, error)) {
	repos := ecr.NewFromConfig(cfg)
	must(repos.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("careful"), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: true}}))
	must(repos.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("careful"),
		LifecyclePolicyText: aws.String(`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`)}))
	must(repos.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("careless")}))
	must(repos.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("careless"),
		PolicyText: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`)}))

	rs := redshift.NewFromConfig(cfg)
	for name, careful := range map[string]bool{"careful": true, "careless": false} {
		must(rs.CreateCluster(ctx, &redshift.CreateClusterInput{ClusterIdentifier: aws.String(name), NodeType: aws.String("ra3.xlplus"), MasterUsername: aws.String("admin"),
			MasterUserPassword: aws.String("Passw0rd!Passw0rd"), PubliclyAccessible: aws.Bool(!careful), Encrypted: aws.Bool(careful), ClusterType: aws.String("single-node"),
			AllowVersionUpgrade: aws.Bool(careful), AutomatedSnapshotRetentionPeriod: aws.Int32(map[bool]int32{true: 7, false: 1}[careful])}))
		if careful {
			must(rs.EnableLogging(ctx, &redshift.EnableLoggingInput{ClusterIdentifier: aws.String(name), BucketName: aws.String("redshift-audit")}))
		}
	}

	ec := elasticache.NewFromConfig(cfg)
	for name, careful := range map[string]bool{"careful": true, "careless": false} {
		in := &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String(name), ReplicationGroupDescription: aws.String(name),
			Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"), AtRestEncryptionEnabled: aws.Bool(careful), TransitEncryptionEnabled: aws.Bool(careful),
			AutoMinorVersionUpgrade: aws.Bool(careful)}
		if careful {
			in.SnapshotRetentionLimit = aws.Int32(7)
			in.AuthToken = aws.String("a-long-auth-token-0123456789")
		}
		must(ec.CreateReplicationGroup(ctx, in))
	}

	os := opensearch.NewFromConfig(cfg)
	must(os.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: aws.String("careful"),
		EncryptionAtRestOptions:     &ostypes.EncryptionAtRestOptions{Enabled: aws.Bool(true)},
		NodeToNodeEncryptionOptions: &ostypes.NodeToNodeEncryptionOptions{Enabled: aws.Bool(true)},
		DomainEndpointOptions:       &ostypes.DomainEndpointOptions{EnforceHTTPS: aws.Bool(true)},
		VPCOptions:                  &ostypes.VPCOptions{SubnetIds: []string{"subnet-12345678"}},
		AdvancedSecurityOptions:     &ostypes.AdvancedSecurityOptionsInput{Enabled: aws.Bool(true), InternalUserDatabaseEnabled: aws.Bool(true)},
		LogPublishingOptions: map[string]ostypes.LogPublishingOption{string(ostypes.LogTypeAuditLogs): {Enabled: aws.Bool(true),
			CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/aws/opensearch/careful/audit")}}}))
	must(os.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: aws.String("careless")}))
}

func TestAWSDatastores(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, seedDatastores)
	want := wantDatastores()
	expect(t, got, why, want)
}

// seedContainers plants a careful and a careless task definition and
// Kinesis stream.
func seedContainers(ctx context.Context, cfg aws.Config, must func(any, error)) {
	e := ecs.NewFromConfig(cfg)
	must(e.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("careful"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("api"), Image: aws.String("api:1"), User: aws.String("1000:1000"), Memory: aws.Int32(256),
			ReadonlyRootFilesystem: aws.Bool(true), Privileged: aws.Bool(false)}}}))
	must(e.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("careless"), NetworkMode: ecstypes.NetworkModeHost,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("agent"), Image: aws.String("agent:1"), Memory: aws.Int32(256), Privileged: aws.Bool(true)}}}))
	k := kinesis.NewFromConfig(cfg)
	for _, name := range []string{"careful", "careless"} {
		must(k.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)}))
	}
	must(k.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{StreamName: aws.String("careful"), EncryptionType: kinesistypes.EncryptionTypeKms, KeyId: aws.String("alias/aws/kinesis")}))
}

func TestAWSContainers(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, seedContainers)
	want := wantContainers()
	expect(t, got, why, want)
}

// wantDatastores is what TestAWSDatastores wants of its seeded account.
func wantDatastores() map[string]string {
	want := map[string]string{}
	for check, careless := range map[string]string{
		"aws.ecr-scan-on-push": "fail", "aws.ecr-immutable-tags": "fail", "aws.ecr-lifecycle": "fail", "aws.ecr-not-public": "fail",
		"aws.redshift-not-public": "fail", "aws.redshift-encrypted": "fail", "aws.redshift-audit-logging": "fail",
		"aws.elasticache-encrypted": "fail", "aws.elasticache-backups": "fail",
		"aws.opensearch-encrypted": "fail", "aws.opensearch-https": "fail", "aws.opensearch-in-vpc": "fail",
		"aws.elasticache-minor-upgrades": "fail", "aws.elasticache-auth": "fail", "aws.opensearch-fine-grained-access": "fail", "aws.opensearch-audit-logging": "fail",
		"aws.redshift-automated-snapshots": "fail", "aws.redshift-version-upgrades": "fail",
	} {
		want[check+" us-east-1/careful"] = "pass"
		want[check+" us-east-1/careless"] = careless
	}
	return want
}

// wantContainers is what TestAWSContainers wants of its seeded account.
func wantContainers() map[string]string {
	want := map[string]string{"aws.kinesis-encrypted us-east-1/careful": "pass", "aws.kinesis-encrypted us-east-1/careless": "fail"}
	for _, check := range []string{"aws.ecs-not-privileged", "aws.ecs-non-root", "aws.ecs-readonly-root"} {
		want[check+" us-east-1/careful:1"] = "pass"
		want[check+" us-east-1/careless:1"] = "fail"
	}
	return want
}
