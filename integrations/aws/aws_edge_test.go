package aws

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv1 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv1types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// seedEdge plants two load balancers (one serving plain HTTP with an old
// TLS policy and default attributes; one redirecting to HTTPS with a
// modern policy and every protection on), an imported certificate about
// to expire beside one with a year left, and a public RDS snapshot beside
// a private one.
func seedEdge(t *testing.T) seeder {
	return func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		certs := acm.NewFromConfig(cfg)
		arn := map[string]string{}
		for name, left := range map[string]time.Duration{"soon": 10 * 24 * time.Hour, "later": 365 * 24 * time.Hour} {
			c, k := selfSigned(t, time.Now().Add(left))
			out, err := certs.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: []byte(c), PrivateKey: []byte(k)})
			if err != nil {
				t.Fatal(err)
			}
			arn[name] = aws.ToString(out.CertificateArn)
		}
		// A certificate on a 1,024-bit RSA key.
		weak, weakKey := rsaCert(t, 1024)
		out, err := certs.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: []byte(weak), PrivateKey: []byte(weakKey)})
		if err != nil {
			t.Fatal(err)
		}
		arn["weak"] = aws.ToString(out.CertificateArn)
		ec := ec2.NewFromConfig(cfg)
		vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
		if err != nil {
			t.Fatal(err)
		}
		var subnets []string
		for i, az := range []string{"us-east-1a", "us-east-1b"} {
			sn, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String([]string{"10.20.1.0/24", "10.20.2.0/24"}[i]), AvailabilityZone: aws.String(az)})
			if err != nil {
				t.Fatal(err)
			}
			subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
		}
		lbs := elb.NewFromConfig(cfg)
		tg, err := lbs.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("app"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: vpc.Vpc.VpcId})
		if err != nil {
			t.Fatal(err)
		}
		forward := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}
		newLB := func(name string) *string {
			out, err := lbs.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name), Subnets: subnets})
			if err != nil {
				t.Fatal(err)
			}
			return out.LoadBalancers[0].LoadBalancerArn
		}
		loose := newLB("loose")
		must(lbs.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: loose, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward}))
		must(lbs.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: loose, Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443), DefaultActions: forward,
			SslPolicy: aws.String("ELBSecurityPolicy-2016-08"), Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(arn["later"])}}}))
		tight := newLB("tight")
		must(lbs.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: tight, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{Protocol: aws.String("HTTPS"), Port: aws.String("443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}}}))
		must(lbs.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: tight, Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443), DefaultActions: forward,
			SslPolicy: aws.String("ELBSecurityPolicy-TLS13-1-2-2021-06"), Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(arn["later"])}}}))
		must(lbs.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: tight, Attributes: []elbtypes.LoadBalancerAttribute{
			{Key: aws.String("routing.http.drop_invalid_header_fields.enabled"), Value: aws.String("true")},
			{Key: aws.String("access_logs.s3.enabled"), Value: aws.String("true")}, {Key: aws.String("access_logs.s3.bucket"), Value: aws.String("lb-logs")},
			{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")}, {Key: aws.String("routing.http.desync_mitigation_mode"), Value: aws.String("strictest")}}}))
		must(lbs.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: loose, Attributes: []elbtypes.LoadBalancerAttribute{
			{Key: aws.String("routing.http.desync_mitigation_mode"), Value: aws.String("monitor")}}}))
		// Classic load balancers: one with a plain HTTP listener, a TLS
		// 1.0 policy, no access logs and desync in monitor mode; one with
		// HTTPS alone on a TLS 1.2 policy, access logs and defensive
		// desync mitigation.
		classic := elbv1.NewFromConfig(cfg)
		for name, careful := range map[string]bool{"old-careful": true, "old-careless": false} {
			listeners := []elbv1types.Listener{{Protocol: aws.String("HTTPS"), LoadBalancerPort: 443, InstanceProtocol: aws.String("HTTP"), InstancePort: aws.Int32(8080),
				SSLCertificateId: aws.String(arn["later"])}}
			if !careful {
				listeners = append(listeners, elbv1types.Listener{Protocol: aws.String("HTTP"), LoadBalancerPort: 80, InstanceProtocol: aws.String("HTTP"), InstancePort: aws.Int32(8080)})
			}
			must(classic.CreateLoadBalancer(ctx, &elbv1.CreateLoadBalancerInput{LoadBalancerName: aws.String(name), Listeners: listeners, AvailabilityZones: []string{"us-east-1a"}}))
			ref := map[bool]string{true: "ELBSecurityPolicy-TLS-1-2-2017-01", false: "ELBSecurityPolicy-2016-08"}[careful]
			must(classic.CreateLoadBalancerPolicy(ctx, &elbv1.CreateLoadBalancerPolicyInput{LoadBalancerName: aws.String(name), PolicyName: aws.String("tls"),
				PolicyTypeName: aws.String("SSLNegotiationPolicyType"), PolicyAttributes: []elbv1types.PolicyAttribute{{AttributeName: aws.String("Reference-Security-Policy"), AttributeValue: aws.String(ref)}}}))
			must(classic.SetLoadBalancerPoliciesOfListener(ctx, &elbv1.SetLoadBalancerPoliciesOfListenerInput{LoadBalancerName: aws.String(name), LoadBalancerPort: 443, PolicyNames: []string{"tls"}}))
			must(classic.ModifyLoadBalancerAttributes(ctx, &elbv1.ModifyLoadBalancerAttributesInput{LoadBalancerName: aws.String(name), LoadBalancerAttributes: &elbv1types.LoadBalancerAttributes{
				AccessLog:            &elbv1types.AccessLog{Enabled: careful, S3BucketName: aws.String("lb-logs"), EmitInterval: aws.Int32(60)},
				AdditionalAttributes: []elbv1types.AdditionalAttribute{{Key: aws.String("elb.http.desyncmitigationmode"), Value: aws.String(map[bool]string{true: "defensive", false: "monitor"}[careful])}}}}))
		}
		rc := rds.NewFromConfig(cfg)
		must(rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), DBInstanceClass: aws.String("db.t3.micro"),
			Engine: aws.String("postgres"), MasterUsername: aws.String("app"), MasterUserPassword: aws.String("Passw0rd!Passw0rd"), AllocatedStorage: aws.Int32(20), StorageEncrypted: aws.Bool(true),
			EnableCloudwatchLogsExports: []string{"postgresql", "upgrade"}}))
		for _, s := range []string{"shared-all", "kept"} {
			must(rc.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders"), DBSnapshotIdentifier: aws.String(s)}))
		}
		must(rc.ModifyDBSnapshotAttribute(ctx, &rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("shared-all"), AttributeName: aws.String("restore"), ValuesToAdd: []string{"all"}}))
		// A snapshot of an unencrypted instance is unencrypted too.
		must(rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("legacy"), DBInstanceClass: aws.String("db.t3.micro"),
			Engine: aws.String("postgres"), MasterUsername: aws.String("app"), MasterUserPassword: aws.String("Passw0rd!Passw0rd"), AllocatedStorage: aws.Int32(20),
			EnableCloudwatchLogsExports: []string{"postgresql"}}))
		must(rc.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("legacy"), DBSnapshotIdentifier: aws.String("legacy-plain")}))
		// Aurora: a careful cluster (encrypted, protected, IAM
		// authentication, readers in two zones) and a careless one (one
		// instance). Their instances carry neither deletion protection
		// nor Multi-AZ themselves: those are the cluster's.
		for name, careful := range map[string]bool{"ledger": true, "scratch": false} {
			must(rc.CreateDBCluster(ctx, &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String(name), Engine: aws.String("aurora-postgresql"),
				MasterUsername: aws.String("app"), MasterUserPassword: aws.String("Passw0rd!Passw0rd"), StorageEncrypted: aws.Bool(careful),
				DeletionProtection: aws.Bool(careful), EnableIAMDatabaseAuthentication: aws.Bool(careful), EnableCloudwatchLogsExports: map[bool][]string{true: {"postgresql"}}[careful]}))
			zones := []string{"us-east-1a"}
			if careful {
				zones = append(zones, "us-east-1b")
			}
			for i, az := range zones {
				must(rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(name + "-" + itoa(int32(i+1))), DBClusterIdentifier: aws.String(name),
					DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("aurora-postgresql"), AvailabilityZone: aws.String(az)}))
			}
		}
		certARNs = arn
	}
}

var certARNs map[string]string

func TestAWSEdge(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, seedEdge(t))
	want := wantEdge()
	expect(t, got, why, want)
	soon, later, weakKeys := 0, 0, 0
	for k, v := range got {
		if strings.HasPrefix(k, "aws.acm-key-length ") {
			weak := strings.Contains(k, certARNs["weak"][strings.LastIndex(certARNs["weak"], "/")+1:])
			if weak != (v == "fail") || v != "pass" && v != "fail" {
				t.Errorf("%s: %s (%s): only the 1,024-bit RSA key fails", k, v, why[k])
			}
			if weak && strings.Contains(why[k], "RSA_1024") {
				weakKeys++
			}
			shown(k, v)
			continue
		}
		if !strings.HasPrefix(k, "aws.acm-certificate-expiry ") || strings.Contains(k, certARNs["weak"][strings.LastIndex(certARNs["weak"], "/")+1:]) {
			continue
		}
		switch {
		case strings.Contains(k, certARNs["soon"][strings.LastIndex(certARNs["soon"], "/")+1:]) && v == "fail":
			soon++
			shown(k, v)
		case strings.Contains(k, certARNs["later"][strings.LastIndex(certARNs["later"], "/")+1:]) && v == "pass":
			later++
			shown(k, v)
		default:
			t.Errorf("%s: %s (%s)", k, v, why[k])
		}
	}
	if soon != 1 || later != 1 || weakKeys != 1 {
		t.Errorf("certificates: %d expiring found, %d valid passed, %d weak keys found", soon, later, weakKeys)
	}
}

// rsaCert makes a self-signed PEM certificate and key on an RSA key of
// bits, valid for a year.
func rsaCert(t *testing.T, bits int) (cert, key string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "legacy.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// wantEdge is what TestAWSEdge wants of its seeded account.
func wantEdge() map[string]string {
	r := "us-east-1/"
	cert := func(domain, name string) string {
		return r + domain + " (" + certARNs[name][strings.LastIndex(certARNs[name], "/")+1:] + ")"
	}
	want := map[string]string{
		"aws.acm-certificate-expiry " + cert("www.example.com", "soon"):  "fail",
		"aws.acm-certificate-expiry " + cert("www.example.com", "later"): "pass",
		"aws.acm-key-length " + cert("legacy.example.com", "weak"):       "fail",
		"aws.acm-key-length " + cert("www.example.com", "later"):         "pass",
		"aws.elb-https " + r + "loose":                                   "fail",
		"aws.elb-https " + r + "tight":                                   "pass",
		"aws.elb-tls-policy " + r + "loose":                              "fail",
		"aws.elb-tls-policy " + r + "tight":                              "pass",
		"aws.elb-drop-invalid-headers " + r + "loose":                    "fail",
		"aws.elb-drop-invalid-headers " + r + "tight":                    "pass",
		"aws.elb-access-logs " + r + "tight":                             "pass",
		"aws.elb-deletion-protection " + r + "loose":                     "fail",
		"aws.elb-deletion-protection " + r + "tight":                     "pass",
		"aws.rds-snapshots-not-public " + r + "shared-all":               "fail",
		"aws.rds-snapshots-not-public " + r + "kept":                     "pass",
		"aws.elb-desync-mitigation " + r + "loose":                       "fail",
		"aws.elb-desync-mitigation " + r + "tight":                       "pass",
		"aws.rds-log-exports " + r + "orders":                            "pass",
		"aws.elb-access-logs " + r + "loose":                             "fail",
		"aws.rds-snapshots-encrypted " + r + "kept":                      "pass",
		"aws.rds-snapshots-encrypted " + r + "legacy-plain":              "fail",
	}
	for _, c := range []string{"aws.elb-https", "aws.elb-tls-policy", "aws.elb-access-logs", "aws.elb-desync-mitigation"} {
		want[c+" "+r+"old-careful (classic)"] = "pass"
		want[c+" "+r+"old-careless (classic)"] = "fail"
	}
	want["aws.elb-deletion-protection "+r+"old-careful (classic)"] = "not_applicable"
	want["aws.elb-drop-invalid-headers "+r+"old-careless (classic)"] = "not_applicable"
	for _, c := range []string{"aws.rds-cluster-deletion-protection", "aws.rds-cluster-multi-az", "aws.rds-cluster-encrypted", "aws.rds-cluster-iam-auth", "aws.rds-cluster-log-exports"} {
		want[c+" "+r+"ledger (cluster)"] = "pass"
		want[c+" "+r+"scratch (cluster)"] = "fail"
	}
	for _, c := range []string{"aws.rds-deletion-protection", "aws.rds-multi-az", "aws.rds-log-exports"} {
		want[c+" "+r+"ledger-1"] = "not_applicable"
		want[c+" "+r+"scratch-1"] = "not_applicable"
	}
	return want
}

// TestWeakNegotiation: classic SSL negotiation policies as AWS describes
// them (every attribute expanded) and as a bare reference.
func TestWeakNegotiation(t *testing.T) {
	pol := func(attrs ...string) elbv1types.PolicyDescription {
		p := elbv1types.PolicyDescription{PolicyName: aws.String("p"), PolicyTypeName: aws.String("SSLNegotiationPolicyType")}
		for i := 0; i < len(attrs); i += 2 {
			p.PolicyAttributeDescriptions = append(p.PolicyAttributeDescriptions, elbv1types.PolicyAttributeDescription{AttributeName: &attrs[i], AttributeValue: &attrs[i+1]})
		}
		return p
	}
	for name, c := range map[string]struct {
		p    elbv1types.PolicyDescription
		weak bool
	}{
		"2016-08 expanded":  {pol("Reference-Security-Policy", "ELBSecurityPolicy-2016-08", "Protocol-TLSv1", "true", "Protocol-TLSv1.1", "true", "Protocol-TLSv1.2", "true"), true},
		"TLS 1.2 expanded":  {pol("Reference-Security-Policy", "ELBSecurityPolicy-TLS-1-2-2017-01", "Protocol-TLSv1", "false", "Protocol-TLSv1.1", "false", "Protocol-TLSv1.2", "true"), false},
		"custom with SSLv3": {pol("Protocol-SSLv3", "true", "Protocol-TLSv1.2", "true"), true},
		"custom TLS 1.2":    {pol("Protocol-TLSv1.2", "true", "ECDHE-RSA-AES128-GCM-SHA256", "true"), false},
		"bare 2016-08":      {pol("Reference-Security-Policy", "ELBSecurityPolicy-2016-08"), true},
		"bare TLS 1.2":      {pol("Reference-Security-Policy", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06"), false},
		"no attributes":     {pol(), true},
		"TLS 1.3 too":       {pol("Protocol-TLSv1.2", "true", "Protocol-TLSv1.3", "true"), false},
	} {
		if got := weakNegotiation(c.p) != ""; got != c.weak {
			t.Errorf("%s: weak %t, want %t", name, got, c.weak)
		}
	}
}
