package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/vigil-soc/vigil/internal/mototest"
)

// seedNetwork plants, in us-east-1 (eu-west-1 is left empty but read),
// one violation and one look-alike for the EC2, VPC, Config, Security Hub
// and RDS checks.
func seedNetwork(t *testing.T, ids map[string]string) seeder {
	return func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		ec := ec2.NewFromConfig(cfg)
		vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.10.0.0/16")})
		if err != nil {
			t.Fatal(err)
		}
		vpcID := aws.ToString(vpc.Vpc.VpcId)
		ids["logged vpc"] = vpcID
		if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("flow-logs")}); err != nil {
			t.Fatal(err)
		}
		fl, err := ec.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{vpcID}, ResourceType: ec2types.FlowLogsResourceTypeVpc,
			TrafficType: ec2types.TrafficTypeAll, LogDestinationType: ec2types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::flow-logs")})
		if err != nil || len(fl.Unsuccessful) > 0 {
			t.Fatalf("flow log: %v %+v", err, fl)
		}
		// Two ACLs: one allows SSH from anywhere; the look-alike allows all
		// from anywhere but denies SSH first (rule 90 before rule 100).
		acl := func(name string, rules ...ec2types.NetworkAclEntry) {
			a, err := ec.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: &vpcID})
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = aws.ToString(a.NetworkAcl.NetworkAclId)
			for _, r := range rules {
				if _, err := ec.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{NetworkAclId: a.NetworkAcl.NetworkAclId, RuleNumber: r.RuleNumber,
					Protocol: r.Protocol, RuleAction: r.RuleAction, Egress: aws.Bool(false), CidrBlock: r.CidrBlock, PortRange: r.PortRange}); err != nil {
					t.Fatal(err)
				}
			}
		}
		world := aws.String("0.0.0.0/0")
		acl("ssh acl", ec2types.NetworkAclEntry{RuleNumber: aws.Int32(100), Protocol: aws.String("6"), RuleAction: ec2types.RuleActionAllow, CidrBlock: world,
			PortRange: &ec2types.PortRange{From: aws.Int32(22), To: aws.Int32(22)}})
		acl("guarded acl",
			ec2types.NetworkAclEntry{RuleNumber: aws.Int32(90), Protocol: aws.String("6"), RuleAction: ec2types.RuleActionDeny, CidrBlock: world,
				PortRange: &ec2types.PortRange{From: aws.Int32(22), To: aws.Int32(22)}},
			ec2types.NetworkAclEntry{RuleNumber: aws.Int32(91), Protocol: aws.String("6"), RuleAction: ec2types.RuleActionDeny, CidrBlock: world,
				PortRange: &ec2types.PortRange{From: aws.Int32(3389), To: aws.Int32(3389)}},
			ec2types.NetworkAclEntry{RuleNumber: aws.Int32(100), Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionAllow, CidrBlock: world})
		sg := func(name string, port int32) {
			g, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: &vpcID})
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = aws.ToString(g.GroupId) + " " + name
			must(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{
				{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port), IpRanges: []ec2types.IpRange{{CidrIp: world}}}}}))
		}
		sg("web", 443)
		sg("db-open", 5432)
		private, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &vpcID, CidrBlock: aws.String("10.10.1.0/24")})
		if err != nil {
			t.Fatal(err)
		}
		run := func(name string, opts *ec2types.InstanceMetadataOptionsRequest) {
			in := &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				InstanceType: ec2types.InstanceTypeT3Micro, MetadataOptions: opts}
			if opts != nil {
				in.SubnetId = private.Subnet.SubnetId // maps no public address
			}
			out, err := ec.RunInstances(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = aws.ToString(out.Instances[0].InstanceId)
		}
		run("imdsv1", nil)
		run("imdsv2", &ec2types.InstanceMetadataOptionsRequest{HttpTokens: ec2types.HttpTokensStateRequired})
		vol, err := ec.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8)})
		if err != nil {
			t.Fatal(err)
		}
		snap := func(name string) string {
			s, err := ec.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId})
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = aws.ToString(s.SnapshotId)
			return ids[name]
		}
		pub := snap("public snapshot")
		if _, err := ec.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: &pub, Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
			OperationType: ec2types.OperationTypeAdd, GroupNames: []string{"all"}}); err != nil {
			t.Fatal(err)
		}
		shared := snap("shared snapshot") // with one account: not public
		if _, err := ec.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: &shared, Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
			OperationType: ec2types.OperationTypeAdd, UserIds: []string{"222222222222"}}); err != nil {
			t.Fatal(err)
		}
		cs := configservice.NewFromConfig(cfg)
		if _, err := cs.PutConfigurationRecorder(ctx, &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: &cstypes.ConfigurationRecorder{
			Name: aws.String("default"), RoleARN: aws.String("arn:aws:iam::123456789012:role/config"),
			RecordingGroup: &cstypes.RecordingGroup{AllSupported: true, IncludeGlobalResourceTypes: true}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.PutDeliveryChannel(ctx, &configservice.PutDeliveryChannelInput{DeliveryChannel: &cstypes.DeliveryChannel{Name: aws.String("default"), S3BucketName: aws.String("config-logs")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.StartConfigurationRecorder(ctx, &configservice.StartConfigurationRecorderInput{ConfigurationRecorderName: aws.String("default")}); err != nil {
			t.Fatal(err)
		}
		if _, err := securityhub.NewFromConfig(cfg).EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
			t.Fatal(err)
		}
		rc := rds.NewFromConfig(cfg)
		db := func(name string, in *rds.CreateDBInstanceInput) {
			in.DBInstanceIdentifier, in.DBInstanceClass, in.Engine = aws.String(name), aws.String("db.t3.micro"), aws.String("postgres")
			in.MasterUsername, in.MasterUserPassword, in.AllocatedStorage = aws.String("app"), aws.String("Passw0rd!Passw0rd"), aws.Int32(20)
			if _, err := rc.CreateDBInstance(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		db("careful", &rds.CreateDBInstanceInput{StorageEncrypted: aws.Bool(true), PubliclyAccessible: aws.Bool(false), AutoMinorVersionUpgrade: aws.Bool(true),
			BackupRetentionPeriod: aws.Int32(14), DeletionProtection: aws.Bool(true), MultiAZ: aws.Bool(true), EnableIAMDatabaseAuthentication: aws.Bool(true),
			MonitoringInterval: aws.Int32(60), MonitoringRoleArn: aws.String("arn:aws:iam::123456789012:role/rds-monitoring")})
		db("careless", &rds.CreateDBInstanceInput{PubliclyAccessible: aws.Bool(true), AutoMinorVersionUpgrade: aws.Bool(false),
			BackupRetentionPeriod: aws.Int32(0), DeletionProtection: aws.Bool(false)})
	}
}

func TestAWSNetworkAndServices(t *testing.T) {
	ids := map[string]string{}
	// moto has no Access Analyzer: the test's replay lists analyzers as
	// AWS's API does. An analyzer of unused access, or one that is not
	// active, does not watch external access.
	got, why := motoAccount(t, []string{"us-east-1", "eu-west-1"}, seedNetwork(t, ids), func(endpoint string) {
		mototest.AddAnalyzer(endpoint, "us-east-1", mototest.Analyzer{Name: "account", Type: "ACCOUNT", Status: "ACTIVE"})
		mototest.AddAnalyzer(endpoint, "eu-west-1", mototest.Analyzer{Name: "unused", Type: "ACCOUNT_UNUSED_ACCESS", Status: "ACTIVE"})
		mototest.AddAnalyzer(endpoint, "eu-west-1", mototest.Analyzer{Name: "broken", Type: "ACCOUNT", Status: "FAILED"})
	})
	r := "us-east-1/"
	want := map[string]string{
		"aws.ec2-imdsv2 " + r + ids["imdsv1"]:                        "fail",
		"aws.ec2-imdsv2 " + r + ids["imdsv2"]:                        "pass",
		"aws.nacl-admin-ports " + r + ids["ssh acl"]:                 "fail",
		"aws.nacl-admin-ports " + r + ids["guarded acl"]:             "pass",
		"aws.vpc-flow-logs " + r + ids["logged vpc"]:                 "pass",
		"aws.ebs-snapshots-not-public " + r + ids["public snapshot"]: "fail",
		"aws.ebs-snapshots-not-public " + r + ids["shared snapshot"]: "pass",
		"aws.config-recorder us-east-1":                              "pass",
		"aws.config-recorder eu-west-1":                              "fail",
		"aws.securityhub us-east-1":                                  "pass",
		"aws.securityhub eu-west-1":                                  "fail",
		"aws.rds-not-public us-east-1/careful":                       "pass",
		"aws.rds-not-public us-east-1/careless":                      "fail",
		"aws.rds-minor-upgrades us-east-1/careful":                   "pass",
		"aws.rds-minor-upgrades us-east-1/careless":                  "fail",
		"aws.rds-backups us-east-1/careful":                          "pass",
		"aws.rds-backups us-east-1/careless":                         "fail",
		"aws.rds-deletion-protection us-east-1/careful":              "pass",
		"aws.rds-deletion-protection us-east-1/careless":             "fail",
	}
	want["aws.rds-multi-az us-east-1/careful"] = "pass"
	want["aws.rds-multi-az us-east-1/careless"] = "fail"
	want["aws.rds-iam-auth us-east-1/careful"] = "pass"
	want["aws.rds-iam-auth us-east-1/careless"] = "fail"
	// moto keeps no MonitoringInterval: the careful instance cannot be shown
	// monitored there; the inline cases judge it.
	want["aws.rds-enhanced-monitoring us-east-1/careless"] = "fail"
	want["aws.sg-high-risk-ports "+r+ids["web"]] = "pass"
	want["aws.sg-high-risk-ports "+r+ids["db-open"]] = "fail"
	want["aws.sg-authorized-ports "+r+ids["web"]] = "pass"
	want["aws.sg-authorized-ports "+r+ids["db-open"]] = "fail"
	// As in AWS, an instance in a default subnet gets a public address; one
	// in a subnet that maps none does not.
	want["aws.ec2-no-public-ip "+r+ids["imdsv1"]] = "fail"
	want["aws.ec2-no-public-ip "+r+ids["imdsv2"]] = "pass"
	expect(t, got, why, want)
	// Every VPC other than the logged one has no flow log, and every
	// default security group keeps the rules AWS gives it.
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "aws.vpc-flow-logs ") && !strings.HasSuffix(k, ids["logged vpc"]) && v != "fail":
			t.Errorf("%s: %s, want fail", k, v)
		case strings.HasPrefix(k, "aws.sg-default-restricts-all ") && v != "fail":
			t.Errorf("%s: %s (%s), want fail: AWS's default group allows its members and all outbound", k, v, why[k])
		case strings.HasPrefix(k, "aws.") && v == "error" && k != motoRootUse:
			t.Errorf("%s could not be judged: %s", k, why[k])
		}
	}
}

// motoRootUse is the one result moto cannot give: its credential report
// has no <root_account> line (AWS's always does), so root use is unknown.
const motoRootUse = "aws.iam-root-not-used root"

// TestNACLOrder: rules decide in number order, for each protocol apart.
func TestNACLOrder(t *testing.T) {
	rule := func(n int32, proto string, action ec2types.RuleAction, from, to int32) ec2types.NetworkAclEntry {
		return ec2types.NetworkAclEntry{RuleNumber: aws.Int32(n), Protocol: aws.String(proto), RuleAction: action, Egress: aws.Bool(false),
			CidrBlock: aws.String("0.0.0.0/0"), PortRange: &ec2types.PortRange{From: aws.Int32(from), To: aws.Int32(to)}}
	}
	for name, c := range map[string]struct {
		rules []ec2types.NetworkAclEntry
		open  bool
	}{
		"UDP denied first, TCP allowed": {[]ec2types.NetworkAclEntry{rule(90, "17", ec2types.RuleActionDeny, 22, 22), rule(100, "6", ec2types.RuleActionAllow, 22, 22)}, true},
		"all denied first, TCP allowed": {[]ec2types.NetworkAclEntry{rule(90, "-1", ec2types.RuleActionDeny, 0, 0), rule(100, "6", ec2types.RuleActionAllow, 22, 22)}, false},
		"allowed first, denied after":   {[]ec2types.NetworkAclEntry{rule(100, "6", ec2types.RuleActionDeny, 22, 22), rule(50, "6", ec2types.RuleActionAllow, 0, 1024)}, true},
		"only the implicit deny":        {nil, false},
		"an outbound allow is not entry": {[]ec2types.NetworkAclEntry{func() ec2types.NetworkAclEntry {
			r := rule(1, "6", ec2types.RuleActionAllow, 22, 22)
			r.Egress = aws.Bool(true)
			return r
		}()}, false},
	} {
		if got := len(naclOpenPorts(c.rules, []int32{22})) == 1; got != c.open {
			t.Errorf("%s: open %v, want %v", name, got, c.open)
		}
	}
}
