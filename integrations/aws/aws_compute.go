package aws

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// awsCloudFront reads the account's distributions (a global service,
// called once): {id: "DISTRIBUTION (DOMAIN)", viewer_https, min_tls,
// logging, root_object, waf, s3_origins_open}. viewer_https: every cache
// behaviour redirects or requires HTTPS; s3_origins_open lists S3 origins
// reached without origin access control or identity.
func awsCloudFront(ctx context.Context, cfg aws.Config) []any {
	cl := cloudfront.NewFromConfig(cfg)
	var out []any
	err := awsPages("cloudfront:ListDistributions", func(tok *string) (*string, error) {
		page, err := cl.ListDistributions(ctx, &cloudfront.ListDistributionsInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		dl := page.DistributionList
		if dl == nil {
			return nil, nil
		}
		for _, d := range dl.Items {
			id := aws.ToString(d.Id) + " (" + aws.ToString(d.DomainName) + ")"
			c, err := cl.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: d.Id})
			if err != nil {
				out = append(out, awsError(id, describeAWS("cloudfront:GetDistributionConfig on "+id, err)))
				continue
			}
			out = append(out, distribution(id, c.DistributionConfig))
		}
		if !aws.ToBool(dl.IsTruncated) {
			return nil, nil
		}
		return dl.NextMarker, nil
	})
	if err != nil {
		return append(out, awsError("cloudfront", describeAWS("cloudfront:ListDistributions", err)))
	}
	return out
}

func distribution(id string, c *cftypes.DistributionConfig) map[string]any {
	https := func(p cftypes.ViewerProtocolPolicy) bool {
		return p == cftypes.ViewerProtocolPolicyRedirectToHttps || p == cftypes.ViewerProtocolPolicyHttpsOnly
	}
	viewer := c.DefaultCacheBehavior != nil && https(c.DefaultCacheBehavior.ViewerProtocolPolicy)
	if c.CacheBehaviors != nil {
		for _, b := range c.CacheBehaviors.Items {
			viewer = viewer && https(b.ViewerProtocolPolicy)
		}
	}
	m := map[string]any{"id": id, "viewer_https": viewer, "root_object": aws.ToString(c.DefaultRootObject) != "",
		"logging": c.Logging != nil && aws.ToBool(c.Logging.Enabled), "waf": aws.ToString(c.WebACLId) != "", "min_tls": ""}
	if v := c.ViewerCertificate; v != nil {
		// The default *.cloudfront.net certificate allows TLS 1.0.
		m["min_tls"] = string(v.MinimumProtocolVersion)
		if aws.ToBool(v.CloudFrontDefaultCertificate) {
			m["min_tls"] = "TLSv1"
		}
	}
	open := []any{}
	if c.Origins != nil {
		for _, o := range c.Origins.Items {
			// An S3 origin carries S3OriginConfig; moto leaves it out when
			// the identity is empty, so an origin with no custom config on
			// a bucket's REST endpoint is one too.
			dom := aws.ToString(o.DomainName)
			s3 := o.S3OriginConfig != nil || (o.CustomOriginConfig == nil && strings.Contains(dom, ".s3.") && strings.HasSuffix(dom, ".amazonaws.com"))
			protected := aws.ToString(o.OriginAccessControlId) != "" || (o.S3OriginConfig != nil && aws.ToString(o.S3OriginConfig.OriginAccessIdentity) != "")
			if s3 && !protected {
				open = append(open, aws.ToString(o.DomainName))
			}
		}
	}
	m["s3_origins_open"] = open
	return m
}

// awsEKS: every cluster: {id: "REGION/CLUSTER", public_endpoint (open to
// 0.0.0.0/0), secrets_encrypted, logging (audit logs on)}.
func awsEKS(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := eks.NewFromConfig(cfg)
	var names []string
	err := awsPages("eks:ListClusters in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListClusters(ctx, &eks.ListClustersInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		names = append(names, page.Clusters...)
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("eks:ListClusters in "+region, err))}
	}
	return forEach(names, func(name string) map[string]any {
		id := region + "/" + name
		d, err := cl.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: &name})
		if err != nil {
			return awsError(id, describeAWS("eks:DescribeCluster on "+name, err))
		}
		c := d.Cluster
		public := false
		if v := c.ResourcesVpcConfig; v != nil && v.EndpointPublicAccess {
			public = len(v.PublicAccessCidrs) == 0
			for _, cidr := range v.PublicAccessCidrs {
				public = public || cidr == "0.0.0.0/0"
			}
		}
		// EKS now encrypts all API data with AWS's keys; envelope
		// encryption under a key of the account is what a provider key in
		// the encryption configuration adds (FSBP EKS.3).
		secrets := false
		for _, e := range c.EncryptionConfig {
			secrets = secrets || (e.Provider != nil && aws.ToString(e.Provider.KeyArn) != "")
		}
		audit := false
		if c.Logging != nil {
			for _, l := range c.Logging.ClusterLogging {
				if aws.ToBool(l.Enabled) {
					for _, t := range l.Types {
						audit = audit || t == "audit"
					}
				}
			}
		}
		return map[string]any{"id": id, "public_endpoint": public, "secrets_encrypted": secrets, "audit_logging": audit}
	})
}

// awsElasticIPs: every Elastic IP address: {id: "REGION/ADDRESS",
// attached}.
func awsElasticIPs(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	a, err := ec2.NewFromConfig(cfg).DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		return []any{awsError(region, describeAWS("ec2:DescribeAddresses in "+region, err))}
	}
	out := make([]any, 0, len(a.Addresses))
	for _, ad := range a.Addresses {
		out = append(out, map[string]any{"id": region + "/" + aws.ToString(ad.PublicIp), "attached": aws.ToString(ad.AssociationId) != ""})
	}
	return out
}

// awsAPIStages: every REST API stage: {id: "REGION/API/STAGE",
// execution_logging, tracing}.
func awsAPIStages(ctx context.Context, cfg aws.Config, _ *awsConfig, region string) []any {
	cl := apigateway.NewFromConfig(cfg)
	var out []any
	err := awsPages("apigateway:GET /restapis in "+region, func(tok *string) (*string, error) {
		page, err := cl.GetRestApis(ctx, &apigateway.GetRestApisInput{Position: tok})
		if err != nil {
			return nil, err
		}
		for _, api := range page.Items {
			st, err := cl.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: api.Id})
			if err != nil {
				out = append(out, awsError(region+"/"+aws.ToString(api.Name), describeAWS("apigateway:GET stages of "+aws.ToString(api.Name), err)))
				continue
			}
			for _, s := range st.Item {
				logging := false
				for _, ms := range s.MethodSettings {
					logging = logging || (ms.LoggingLevel != nil && *ms.LoggingLevel != "OFF")
				}
				out = append(out, map[string]any{"id": region + "/" + aws.ToString(api.Name) + "/" + aws.ToString(s.StageName),
					"execution_logging": logging, "tracing": s.TracingEnabled})
			}
		}
		return page.Position, nil
	})
	if err != nil {
		return append(out, awsError(region, describeAWS("apigateway:GET /restapis in "+region, err)))
	}
	return out
}
