package aws

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
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
		sg := func(name string, port int32, v4 []string, v6 ...string) {
			g, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: &vpcID})
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = aws.ToString(g.GroupId) + " " + name
			perm := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port)}
			for _, c := range v4 {
				perm.IpRanges = append(perm.IpRanges, ec2types.IpRange{CidrIp: aws.String(c)})
			}
			for _, c := range v6 {
				perm.Ipv6Ranges = append(perm.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: aws.String(c)})
			}
			must(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{perm}}))
		}
		sg("web", 443, []string{"0.0.0.0/0"})
		sg("db-open", 5432, []string{"0.0.0.0/0"})
		// SSH: to every IPv6 address only (a careful IPv4 rule beside it);
		// to two halves that make the whole IPv4 space; to two blocks that
		// leave a quarter out (not the world); to an office range.
		sg("ssh-v6", 22, []string{"203.0.113.0/24"}, "::/0")
		sg("ssh-halves", 22, []string{"0.0.0.0/1", "128.0.0.0/1"})
		sg("ssh-three-quarters", 22, []string{"0.0.0.0/1", "128.0.0.0/2"}, "2001:db8::/32")
		sg("ssh-office", 22, []string{"203.0.113.0/24"})
		// Half the world on SSH, the other half on every port: two rules
		// that together open SSH to everyone.
		sg("ssh-split-rules", 22, []string{"0.0.0.0/1"})
		split := strings.Fields(ids["ssh-split-rules"])[0]
		must(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(split), IpPermissions: []ec2types.IpPermission{
			{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(0), ToPort: aws.Int32(65535), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("128.0.0.0/1")}}}}}))
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
		// AMIs made from it: one shared with everyone, one with one account.
		image := func(name string, perm ec2types.LaunchPermission) {
			im, err := ec.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(ids["imdsv2"]), Name: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = aws.ToString(im.ImageId) + " " + name
			must(ec.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: im.ImageId,
				LaunchPermission: &ec2types.LaunchPermissionModifications{Add: []ec2types.LaunchPermission{perm}}}))
		}
		image("public-image", ec2types.LaunchPermission{Group: ec2types.PermissionGroupAll})
		image("shared-image", ec2types.LaunchPermission{UserId: aws.String("222222222222")})
		// A subnet that maps public addresses; the private one does not.
		ids["private subnet"] = aws.ToString(private.Subnet.SubnetId)
		public, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &vpcID, CidrBlock: aws.String("10.10.2.0/24")})
		if err != nil {
			t.Fatal(err)
		}
		ids["public subnet"] = aws.ToString(public.Subnet.SubnetId)
		must(ec.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: public.Subnet.SubnetId, MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}))
		// Launch templates: a careful one whose first version was careless
		// (only the default and latest versions launch anything), and a
		// careless one. The careless template's interface asks for a
		// public address; the careful one names a private interface.
		lt, err := ec.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("careful"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			ImageId: aws.String("ami-12c6146b"), NetworkInterfaces: []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: aws.Bool(true)}}}})
		if err != nil {
			t.Fatal(err)
		}
		v2, err := ec.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			ImageId: aws.String("ami-12c6146b"), MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: ec2types.LaunchTemplateHttpTokensStateRequired},
			NetworkInterfaces: []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: aws.Bool(false)}}}})
		if err != nil {
			t.Fatal(err)
		}
		must(ec.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId,
			DefaultVersion: aws.String(strconv.FormatInt(aws.ToInt64(v2.LaunchTemplateVersion.VersionNumber), 10))}))
		ids["careful template"] = aws.ToString(lt.LaunchTemplate.LaunchTemplateId) + " careful v2"
		ids["careful template v1"] = aws.ToString(lt.LaunchTemplate.LaunchTemplateId) + " careful v1"
		ids["pinning template"] = aws.ToString(lt.LaunchTemplate.LaunchTemplateId)
		bad, err := ec.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("careless"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			ImageId: aws.String("ami-12c6146b"), MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: ec2types.LaunchTemplateHttpTokensStateOptional},
			NetworkInterfaces: []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: aws.Bool(true)}}}})
		if err != nil {
			t.Fatal(err)
		}
		ids["careless template"] = aws.ToString(bad.LaunchTemplate.LaunchTemplateId) + " careless v1"
		as := autoscaling.NewFromConfig(cfg)
		// A group pinned to the careful template's first, careless
		// version: every scale-out launches it.
		must(as.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("pinned"), MinSize: aws.Int32(0), MaxSize: aws.Int32(1),
			DesiredCapacity: aws.Int32(0), AvailabilityZones: []string{"us-east-1a"},
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(ids["pinning template"]), Version: aws.String("1")}}))
		must(as.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{LaunchConfigurationName: aws.String("careful"), ImageId: aws.String("ami-12c6146b"),
			InstanceType: aws.String("t3.micro"), AssociatePublicIpAddress: aws.Bool(false),
			MetadataOptions: &astypes.InstanceMetadataOptions{HttpTokens: astypes.InstanceMetadataHttpTokensStateRequired, HttpEndpoint: astypes.InstanceMetadataEndpointStateEnabled}}))
		must(as.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{LaunchConfigurationName: aws.String("careless"), ImageId: aws.String("ami-12c6146b"),
			InstanceType: aws.String("t3.micro"), AssociatePublicIpAddress: aws.Bool(true)}))
		vol, err := ec.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8)})
		if err != nil {
			t.Fatal(err)
		}
		ids["plain volume"] = aws.ToString(vol.VolumeId)
		sealed, err := ec.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8), Encrypted: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		ids["sealed volume"] = aws.ToString(sealed.VolumeId)
		// The new VPC's default security group with AWS's rules taken away
		// (no inbound, no outbound); every other default group keeps them.
		dg, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{vpcID}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
		if err != nil || len(dg.SecurityGroups) != 1 {
			t.Fatalf("the new VPC's default group: %v %+v", err, dg)
		}
		g := dg.SecurityGroups[0]
		ids["closed default group"] = aws.ToString(g.GroupId) + " default"
		must(ec.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: g.IpPermissions}))
		must(ec.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: g.GroupId, IpPermissions: g.IpPermissionsEgress}))
		// The default VPC AWS makes, and its default group: no flow log,
		// AWS's rules.
		dv, err := ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
		if err != nil || len(dv.Vpcs) != 1 {
			t.Fatalf("the default VPC: %v %+v", err, dv)
		}
		ids["default vpc"] = aws.ToString(dv.Vpcs[0].VpcId)
		ddg, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{ids["default vpc"]}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
		if err != nil || len(ddg.SecurityGroups) != 1 {
			t.Fatalf("the default VPC's group: %v %+v", err, ddg)
		}
		ids["default group"] = aws.ToString(ddg.SecurityGroups[0].GroupId) + " default"
		// GuardDuty in us-east-1 only.
		must(guardduty.NewFromConfig(cfg).CreateDetector(ctx, &guardduty.CreateDetectorInput{Enable: aws.Bool(true)}))
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
			MonitoringInterval: aws.Int32(60), MonitoringRoleArn: aws.String("arn:aws:iam::123456789012:role/rds-monitoring"), EnableCloudwatchLogsExports: []string{"postgresql"}})
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
	want := wantNetwork(ids)
	expect(t, got, why, want)
	// Every VPC other than the logged one has no flow log, and every
	// default security group keeps the rules AWS gives it.

	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "aws.ec2-subnet-no-auto-public-ip ") && !strings.HasSuffix(k, ids["private subnet"]) && (v != "fail" || !strings.Contains(why[k], "default subnet") && !strings.HasSuffix(k, ids["public subnet"])):
			t.Errorf("%s: %s (%s), want fail: AWS's default subnets map public addresses", k, v, why[k])
		case strings.HasPrefix(k, "aws.vpc-flow-logs ") && !strings.HasSuffix(k, ids["logged vpc"]):
			if v != "fail" {
				t.Errorf("%s: %s, want fail", k, v)
			}
			shown(k, v)
		case strings.HasPrefix(k, "aws.sg-default-restricts-all ") && strings.HasSuffix(k, " default") && !strings.HasSuffix(k, ids["closed default group"]):
			if v != "fail" {
				t.Errorf("%s: %s (%s), want fail: AWS's default group allows its members and all outbound", k, v, why[k])
			}
			shown(k, v)
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

// TestCoversAll: ranges admit the world when together they cover the
// whole address space, whatever their order or overlap.
func TestCoversAll(t *testing.T) {
	for _, c := range []struct {
		cidrs []string
		v6    bool
		want  bool
	}{
		{[]string{"0.0.0.0/0"}, false, true},
		{[]string{"128.0.0.0/1", "0.0.0.0/1"}, false, true},
		{[]string{"0.0.0.0/2", "0.0.0.0/1", "64.0.0.0/2", "128.0.0.0/1"}, false, true},
		{[]string{"10.1.2.3/0"}, false, true}, // host bits set: AWS stores it as 0.0.0.0/0
		{[]string{"0.0.0.0/1", "128.0.0.0/2"}, false, false},
		{[]string{"0.0.0.0/1", "192.0.0.0/2"}, false, false},
		{[]string{"0.0.0.0/1"}, false, false},
		{[]string{"::/0"}, false, false}, // IPv6 says nothing of IPv4
		{[]string{"::/1", "8000::/1"}, true, true},
		{[]string{"::/0"}, true, true},
		{[]string{"2001:db8::/32"}, true, false},
		{[]string{"nonsense", "0.0.0.0/1"}, false, false},
		{nil, false, false},
	} {
		if got := coversAll(c.cidrs, c.v6); got != c.want {
			t.Errorf("%v (IPv6 %t): %t, want %t", c.cidrs, c.v6, got, c.want)
		}
	}
}

// wantNetwork is what TestAWSNetworkAndServices wants of its seeded account.
func wantNetwork(ids map[string]string) map[string]string {
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
	want["aws.rds-log-exports us-east-1/careful"] = "pass"
	want["aws.rds-encrypted us-east-1/careful"] = "pass"
	want["aws.rds-encrypted us-east-1/careless"] = "fail"
	want["aws.ebs-encrypted "+r+ids["plain volume"]] = "fail"
	want["aws.ebs-encrypted "+r+ids["sealed volume"]] = "pass"
	want["aws.sg-default-restricts-all "+r+ids["closed default group"]] = "pass"
	want["aws.vpc-flow-logs "+r+ids["default vpc"]] = "fail"
	want["aws.sg-default-restricts-all "+r+ids["default group"]] = "fail"
	want["aws.guardduty us-east-1"] = "pass"
	want["aws.guardduty eu-west-1"] = "fail"
	// An active analyzer of external access in us-east-1; in eu-west-1
	// only one of unused access and one that failed.
	want["aws.access-analyzer us-east-1"] = "pass"
	want["aws.access-analyzer eu-west-1"] = "fail"
	want["aws.rds-log-exports us-east-1/careless"] = "fail"
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
	for name, v := range map[string][2]string{"ssh-v6": {"pass", "fail"}, "ssh-halves": {"fail", "pass"}, "ssh-three-quarters": {"pass", "pass"}, "ssh-office": {"pass", "pass"}, "ssh-split-rules": {"fail", "pass"}} {
		want["aws.sg-admin-ports "+r+ids[name]] = v[0]
		want["aws.sg-admin-ports-ipv6 "+r+ids[name]] = v[1]
	}
	want["aws.ec2-ami-not-public "+r+ids["public-image"]] = "fail"
	want["aws.ec2-ami-not-public "+r+ids["shared-image"]] = "pass"
	want["aws.ec2-subnet-no-auto-public-ip "+r+ids["public subnet"]] = "fail"
	want["aws.ec2-subnet-no-auto-public-ip "+r+ids["private subnet"]] = "pass"
	for _, c := range []string{"aws.ec2-launch-template-no-public-ip", "aws.ec2-launch-template-imdsv2"} {
		want[c+" "+r+ids["careful template"]] = "pass"
		want[c+" "+r+ids["careless template"]] = "fail"
	}
	for _, c := range []string{"aws.autoscaling-no-public-ip", "aws.autoscaling-imdsv2"} {
		want[c+" "+r+"careful"] = "pass"
		want[c+" "+r+"careless"] = "fail"
	}
	// Neither default nor latest, but an Auto Scaling group launches it.
	want["aws.ec2-launch-template-imdsv2 "+r+ids["careful template v1"]] = "fail"
	want["aws.ec2-launch-template-no-public-ip "+r+ids["careful template v1"]] = "fail"
	return want
}
