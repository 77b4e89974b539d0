package aws

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv1types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// modernTLSPolicies are the ELB security policies that allow only TLS 1.2
// and later with forward secrecy, as AWS lists them ("Security policies
// for your Application Load Balancer"); anything else allows older
// protocols or ciphers.
var modernTLSPolicies = map[string]bool{
	"ELBSecurityPolicy-TLS13-1-2-2021-06": true, "ELBSecurityPolicy-TLS13-1-2-Res-2021-06": true,
	"ELBSecurityPolicy-TLS13-1-3-2021-06": true, "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06": true,
	"ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06": true, "ELBSecurityPolicy-FS-1-2-Res-2020-10": true,
	"ELBSecurityPolicy-FS-1-2-Res-2019-08": true, "ELBSecurityPolicy-TLS-1-2-2017-01": true,
	"ELBSecurityPolicy-TLS-1-2-Ext-2018-06": true, "ELBSecurityPolicy-FS-1-2-2019-08": true,
	"ELBSecurityPolicy-TLS13-1-2-PQ-2025-09": true, "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09": true,
}

// awsLoadBalancers: every application and network load balancer: {id:
// "REGION/NAME", type, scheme, plain_listeners: ["HTTP:80 forward"],
// weak_tls: ["HTTPS:443 POLICY"], drop_invalid_headers, access_logs,
// deletion_protection, desync_mode (application load balancers)}. An
// HTTP listener whose default action redirects to HTTPS is not plain.
func awsLoadBalancers(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := elasticloadbalancingv2.NewFromConfig(cfg)
	var lbs []elbtypes.LoadBalancer
	err := awsPages("elasticloadbalancing:DescribeLoadBalancers in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		lbs = append(lbs, page.LoadBalancers...)
		return page.NextMarker, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("elasticloadbalancing:DescribeLoadBalancers in "+region, err))}
	}
	return forEach(lbs, func(lb elbtypes.LoadBalancer) map[string]any {
		id := region + "/" + aws.ToString(lb.LoadBalancerName)
		m := map[string]any{"id": id, "type": string(lb.Type), "scheme": string(lb.Scheme)}
		plain, weak := []any{}, []any{}
		err := awsPages("elasticloadbalancing:DescribeListeners on "+id, func(tok *string) (*string, error) {
			page, err := cl.DescribeListeners(ctx, &elasticloadbalancingv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn, Marker: tok})
			if err != nil {
				return nil, err
			}
			for _, l := range page.Listeners {
				name := string(l.Protocol) + ":" + itoa(aws.ToInt32(l.Port))
				switch l.Protocol {
				case elbtypes.ProtocolEnumHttp:
					ok, err := httpRedirectsOnly(ctx, cl, l)
					if err != nil {
						return nil, err
					}
					if !ok {
						plain = append(plain, name)
					}
				case elbtypes.ProtocolEnumHttps, elbtypes.ProtocolEnumTls:
					if p := aws.ToString(l.SslPolicy); !modernTLSPolicies[p] {
						weak = append(weak, name+" "+p)
					}
				}
			}
			return page.NextMarker, nil
		})
		if err != nil {
			return awsError(id, describeAWS("elasticloadbalancing:DescribeListeners on "+id, err))
		}
		m["plain_listeners"], m["weak_tls"] = plain, weak
		attrs, err := cl.DescribeLoadBalancerAttributes(ctx, &elasticloadbalancingv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn})
		if err != nil {
			return awsError(id, describeAWS("elasticloadbalancing:DescribeLoadBalancerAttributes on "+id, err))
		}
		// Attributes absent from the answer keep AWS's defaults (false).
		m["drop_invalid_headers"], m["access_logs"], m["deletion_protection"] = false, false, false
		for _, a := range attrs.Attributes {
			on := aws.ToString(a.Value) == "true"
			switch aws.ToString(a.Key) {
			case "routing.http.drop_invalid_header_fields.enabled":
				m["drop_invalid_headers"] = on
			case "access_logs.s3.enabled":
				m["access_logs"] = on
			case "deletion_protection.enabled":
				m["deletion_protection"] = on
			case "routing.http.desync_mitigation_mode":
				m["desync_mode"] = aws.ToString(a.Value)
			}
		}
		// AWS answers every attribute of an application load balancer,
		// the desync mode (default defensive) included; an answer without
		// it says nothing either way.
		if _, ok := m["desync_mode"]; !ok && lb.Type == elbtypes.LoadBalancerTypeEnumApplication {
			m["desync_error"] = "elasticloadbalancing:DescribeLoadBalancerAttributes on " + id + " does not give routing.http.desync_mitigation_mode"
		}
		return m
	})
}

// httpRedirectsOnly: an HTTP listener whose every rule, the default one
// included, redirects to HTTPS; a rule that forwards (a path served over
// plain HTTP) makes it plain.
func httpRedirectsOnly(ctx context.Context, cl *elasticloadbalancingv2.Client, l elbtypes.Listener) (bool, error) {
	if !redirectsToHTTPS(l.DefaultActions) {
		return false, nil
	}
	ok := true
	err := awsPages("elasticloadbalancing:DescribeRules", func(tok *string) (*string, error) {
		page, err := cl.DescribeRules(ctx, &elasticloadbalancingv2.DescribeRulesInput{ListenerArn: l.ListenerArn, Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Rules {
			ok = ok && redirectsToHTTPS(r.Actions)
		}
		return page.NextMarker, nil
	})
	return ok, err
}

func redirectsToHTTPS(actions []elbtypes.Action) bool {
	for _, a := range actions {
		if a.Type == elbtypes.ActionTypeEnumRedirect && a.RedirectConfig != nil && strings.EqualFold(aws.ToString(a.RedirectConfig.Protocol), "HTTPS") {
			return true
		}
	}
	return false
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// awsCertificates: every ACM certificate: {id: "REGION/DOMAIN (ID)",
// status, expires_days, in_use}.
func awsCertificates(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := acm.NewFromConfig(cfg)
	var arns []string
	err := awsPages("acm:ListCertificates in "+region, func(tok *string) (*string, error) {
		// Without a filter ACM lists RSA 1024 and 2048 certificates only.
		page, err := cl.ListCertificates(ctx, &acm.ListCertificatesInput{NextToken: tok,
			Includes: &acmtypes.Filters{KeyTypes: acmtypes.KeyAlgorithm("").Values()}})
		if err != nil {
			return nil, err
		}
		for _, c := range page.CertificateSummaryList {
			arns = append(arns, aws.ToString(c.CertificateArn))
		}
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("acm:ListCertificates in "+region, err))}
	}
	now := time.Now()
	return forEach(arns, func(arn string) map[string]any {
		short := arn[strings.LastIndex(arn, "/")+1:]
		d, err := cl.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: &arn})
		if err != nil {
			return awsError(region+"/"+short, describeAWS("acm:DescribeCertificate on "+arn, err))
		}
		c := d.Certificate
		m := map[string]any{"id": region + "/" + aws.ToString(c.DomainName) + " (" + short + ")", "status": string(c.Status), "in_use": len(c.InUseBy) > 0,
			"key_algorithm": string(c.KeyAlgorithm)}
		if c.NotAfter != nil {
			m["expires_days"] = int(math.Floor(c.NotAfter.Sub(now).Hours() / 24))
		} else if c.Status == "ISSUED" {
			m["error"] = "ACM gives no expiry for the issued certificate " + arn
		}
		return m
	})
}

// awsDBSnapshots: the account's manual RDS snapshots: {id:
// "REGION/SNAPSHOT", public, encrypted}.
func awsDBSnapshots(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := rds.NewFromConfig(cfg)
	var ids []string
	enc := map[string]bool{}
	err := awsPages("rds:DescribeDBSnapshots in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("manual"), Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, s := range page.DBSnapshots {
			id := aws.ToString(s.DBSnapshotIdentifier)
			ids = append(ids, id)
			enc[id] = aws.ToBool(s.Encrypted)
		}
		return page.Marker, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("rds:DescribeDBSnapshots in "+region, err))}
	}
	return forEach(ids, func(sid string) map[string]any {
		id := region + "/" + sid
		a, err := cl.DescribeDBSnapshotAttributes(ctx, &rds.DescribeDBSnapshotAttributesInput{DBSnapshotIdentifier: &sid})
		if err != nil {
			return awsError(id, describeAWS("rds:DescribeDBSnapshotAttributes on "+id, err))
		}
		public := false
		if r := a.DBSnapshotAttributesResult; r != nil {
			for _, at := range r.DBSnapshotAttributes {
				public = public || restoredByAll(at.AttributeName, at.AttributeValues)
			}
		}
		return map[string]any{"id": id, "public": public, "encrypted": enc[sid]}
	})
}

// awsClassicLoadBalancers: every classic load balancer, judged like the
// others: {id: "REGION/NAME (classic)", type: "classic", scheme,
// plain_listeners: ["HTTP:80"], weak_tls: ["HTTPS:443 POLICY"],
// access_logs, desync_mode}. Classic listeners cannot redirect, so an HTTP
// listener is plain. An HTTPS or SSL listener is weak when its SSL
// negotiation policy allows SSLv3, TLS 1.0 or TLS 1.1, or names none.
func awsClassicLoadBalancers(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := elasticloadbalancing.NewFromConfig(cfg)
	var lbs []elbv1types.LoadBalancerDescription
	err := awsPages("elasticloadbalancing:DescribeLoadBalancers (classic) in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeLoadBalancers(ctx, &elasticloadbalancing.DescribeLoadBalancersInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		lbs = append(lbs, page.LoadBalancerDescriptions...)
		return page.NextMarker, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("elasticloadbalancing:DescribeLoadBalancers (classic) in "+region, err))}
	}
	return forEach(lbs, func(lb elbv1types.LoadBalancerDescription) map[string]any {
		name := aws.ToString(lb.LoadBalancerName)
		id := region + "/" + name + " (classic)"
		m := map[string]any{"id": id, "type": "classic", "scheme": aws.ToString(lb.Scheme)}
		plain, weak := []any{}, []any{}
		for _, ld := range lb.ListenerDescriptions {
			l := ld.Listener
			if l == nil {
				continue
			}
			proto := strings.ToUpper(aws.ToString(l.Protocol))
			label := proto + ":" + itoa(l.LoadBalancerPort)
			switch proto {
			case "HTTP", "TCP":
				// FSBP ELB.3: a classic listener is HTTPS or SSL, or
				// carries traffic in the clear.
				plain = append(plain, label)
			case "HTTPS", "SSL":
				w, err := classicWeakTLS(ctx, cl, name, ld.PolicyNames)
				if err != nil {
					return awsError(id, describeAWS("elasticloadbalancing:DescribeLoadBalancerPolicies on "+name, err))
				}
				if w != "" {
					weak = append(weak, label+" "+w)
				}
			}
		}
		m["plain_listeners"], m["weak_tls"] = plain, weak
		a, err := cl.DescribeLoadBalancerAttributes(ctx, &elasticloadbalancing.DescribeLoadBalancerAttributesInput{LoadBalancerName: &name})
		if err != nil {
			return awsError(id, describeAWS("elasticloadbalancing:DescribeLoadBalancerAttributes on "+name, err))
		}
		attrs := a.LoadBalancerAttributes
		m["access_logs"] = attrs != nil && attrs.AccessLog != nil && attrs.AccessLog.Enabled
		if attrs != nil {
			for _, x := range attrs.AdditionalAttributes {
				if aws.ToString(x.Key) == "elb.http.desyncmitigationmode" {
					m["desync_mode"] = aws.ToString(x.Value)
				}
			}
		}
		// AWS answers the desync mode of every classic load balancer
		// (default defensive); an answer without it says nothing.
		if _, ok := m["desync_mode"]; !ok {
			m["desync_error"] = "elasticloadbalancing:DescribeLoadBalancerAttributes on " + name + " does not give elb.http.desyncmitigationmode"
		}
		return m
	})
}

// classicWeakTLS says what is weak about a classic listener's SSL
// negotiation policy ("" when nothing is): the protocols it allows below
// TLS 1.2, or that it names no policy.
func classicWeakTLS(ctx context.Context, cl *elasticloadbalancing.Client, lb string, names []string) (string, error) {
	if len(names) == 0 {
		return "(no SSL negotiation policy)", nil
	}
	out, err := cl.DescribeLoadBalancerPolicies(ctx, &elasticloadbalancing.DescribeLoadBalancerPoliciesInput{LoadBalancerName: &lb, PolicyNames: names})
	if err != nil {
		return "", err
	}
	for _, p := range out.PolicyDescriptions {
		if aws.ToString(p.PolicyTypeName) == "SSLNegotiationPolicyType" {
			return weakNegotiation(p), nil
		}
	}
	return "(no SSL negotiation policy)", nil
}

// weakNegotiation judges an SSL negotiation policy as AWS describes it
// (every Protocol- and cipher attribute, with Reference-Security-Policy
// when it copies a predefined one): what it allows below TLS 1.2, or "".
func weakNegotiation(p elbv1types.PolicyDescription) string {
	ref, old, protocols := "", []string{}, 0
	for _, a := range p.PolicyAttributeDescriptions {
		n, v := aws.ToString(a.AttributeName), aws.ToString(a.AttributeValue)
		switch {
		case n == "Reference-Security-Policy":
			ref = v
		case strings.HasPrefix(n, "Protocol-") && v == "true":
			protocols++
			if n == "Protocol-SSLv2" || n == "Protocol-SSLv3" || n == "Protocol-TLSv1" || n == "Protocol-TLSv1.1" {
				old = append(old, strings.TrimPrefix(n, "Protocol-"))
			}
		}
	}
	label := ref
	if label == "" {
		label = aws.ToString(p.PolicyName)
	}
	switch {
	case len(old) > 0:
		return label + " (allows " + strings.Join(old, ", ") + ")"
	case protocols > 0:
		return ""
	case ref != "" && len(p.PolicyAttributeDescriptions) == 1:
		// A predefined policy named without its attributes (as some
		// answers and emulators give it) is judged by name: only the TLS
		// 1.2 ones are modern.
		if strings.HasPrefix(ref, "ELBSecurityPolicy-TLS-1-2") {
			return ""
		}
		return label
	}
	return label + " (names no protocol)"
}

// awsDBClusters: every DB cluster (Aurora, Multi-AZ DB clusters, and the
// DocumentDB and Neptune clusters the same API lists), whose settings
// their member instances do not carry: {id: "REGION/CLUSTER (cluster)",
// engine, mode (provisioned, serverless, ...), encrypted,
// deletion_protection, multi_az, iam_auth, log_exports}.
func awsDBClusters(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := rds.NewFromConfig(cfg)
	var out []any
	err := awsPages("rds:DescribeDBClusters in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, c := range page.DBClusters {
			out = append(out, map[string]any{"id": region + "/" + aws.ToString(c.DBClusterIdentifier) + " (cluster)", "engine": aws.ToString(c.Engine),
				"encrypted": aws.ToBool(c.StorageEncrypted), "deletion_protection": aws.ToBool(c.DeletionProtection), "multi_az": aws.ToBool(c.MultiAZ),
				"iam_auth": aws.ToBool(c.IAMDatabaseAuthenticationEnabled), "mode": aws.ToString(c.EngineMode), "log_exports": kind.ToAny(c.EnabledCloudwatchLogsExports)})
		}
		return page.Marker, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("rds:DescribeDBClusters in "+region, err)))
	}
	return out
}

// awsDBClusterSnapshots: the account's manual Aurora cluster snapshots,
// judged like instance snapshots: {id: "REGION/SNAPSHOT (cluster)",
// public, encrypted}.
func awsDBClusterSnapshots(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := rds.NewFromConfig(cfg)
	var ids []string
	enc := map[string]bool{}
	err := awsPages("rds:DescribeDBClusterSnapshots in "+region, func(tok *string) (*string, error) {
		page, err := cl.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{SnapshotType: aws.String("manual"), Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, s := range page.DBClusterSnapshots {
			id := aws.ToString(s.DBClusterSnapshotIdentifier)
			ids = append(ids, id)
			enc[id] = aws.ToBool(s.StorageEncrypted)
		}
		return page.Marker, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("rds:DescribeDBClusterSnapshots in "+region, err))}
	}
	return forEach(ids, func(sid string) map[string]any {
		id := region + "/" + sid + " (cluster)"
		a, err := cl.DescribeDBClusterSnapshotAttributes(ctx, &rds.DescribeDBClusterSnapshotAttributesInput{DBClusterSnapshotIdentifier: &sid})
		if err != nil {
			return awsError(id, describeAWS("rds:DescribeDBClusterSnapshotAttributes on "+id, err))
		}
		public := false
		if r := a.DBClusterSnapshotAttributesResult; r != nil {
			for _, at := range r.DBClusterSnapshotAttributes {
				public = public || restoredByAll(at.AttributeName, at.AttributeValues)
			}
		}
		return map[string]any{"id": id, "public": public, "encrypted": enc[sid]}
	})
}

// restoredByAll: a snapshot attribute that lets every AWS account restore
// the snapshot (restore: all).
func restoredByAll(name *string, values []string) bool {
	return aws.ToString(name) == "restore" && slices.Contains(values, "all")
}
