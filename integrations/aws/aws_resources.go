package aws

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/vigil-soc/vigil/integrations/aws/policy"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// Resources with a resource policy: each is read with its policy, which is
// judged by policy.Public (anyone, with no condition that restricts the
// caller) and policy.External (other accounts named). A policy that cannot
// be read makes the resource an error, never private.

// exposure fills public and external from a resource policy document;
// an empty document is no policy (private).
func exposure(m map[string]any, doc, service, account string) {
	m["public"], m["external"] = []any{}, []any{}
	if strings.TrimSpace(doc) == "" {
		return
	}
	d, err := policy.Parse(doc)
	if err != nil {
		m["error"] = "the policy of " + m["id"].(string) + " cannot be read: " + err.Error()
		return
	}
	m["public"] = kind.ToAny(policy.Public(d, service))
	m["external"] = kind.ToAny(policy.External(d, account))
}

// forEach runs read for each item, a few at a time, keeping the order.
func forEach[T any](items []T, read func(T) map[string]any) []any {
	out := make([]any, len(items))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, it := range items {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = read(it)
		})
	}
	wg.Wait()
	return out
}

// awsSNSTopics: {id: "REGION/TOPIC", public, external, encrypted}.
func awsSNSTopics(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	cl := sns.NewFromConfig(cfg)
	var arns []string
	err := awsPages("sns:ListTopics in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListTopics(ctx, &sns.ListTopicsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, t := range page.Topics {
			arns = append(arns, aws.ToString(t.TopicArn))
		}
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("sns:ListTopics in "+region, err))}
	}
	return forEach(arns, func(arn string) map[string]any {
		id := region + "/" + arn[strings.LastIndex(arn, ":")+1:]
		a, err := cl.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
		if err != nil {
			return awsError(id, describeAWS("sns:GetTopicAttributes on "+arn, err))
		}
		m := map[string]any{"id": id, "encrypted": a.Attributes["KmsMasterKeyId"] != ""}
		exposure(m, a.Attributes["Policy"], "sns", c.account)
		return m
	})
}

// awsSQSQueues: {id: "REGION/QUEUE", public, external, encrypted}.
func awsSQSQueues(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	cl := sqs.NewFromConfig(cfg)
	var urls []string
	err := awsPages("sqs:ListQueues in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListQueues(ctx, &sqs.ListQueuesInput{NextToken: tok, MaxResults: aws.Int32(1000)})
		if err != nil {
			return nil, err
		}
		urls = append(urls, page.QueueUrls...)
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("sqs:ListQueues in "+region, err))}
	}
	return forEach(urls, func(url string) map[string]any {
		id := region + "/" + url[strings.LastIndex(url, "/")+1:]
		a, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy, sqstypes.QueueAttributeNameKmsMasterKeyId, sqstypes.QueueAttributeNameSqsManagedSseEnabled}})
		if err != nil {
			return awsError(id, describeAWS("sqs:GetQueueAttributes on "+url, err))
		}
		m := map[string]any{"id": id, "encrypted": a.Attributes["KmsMasterKeyId"] != "" || a.Attributes["SqsManagedSseEnabled"] == "true"}
		exposure(m, a.Attributes["Policy"], "sqs", c.account)
		return m
	})
}

// awsKMSPolicies: every customer managed key's policy and state: {id:
// "REGION/KEY", public, external, state}. AWS managed keys have policies
// AWS writes; they are left out.
func awsKMSPolicies(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	cl := kms.NewFromConfig(cfg)
	var ids []string
	err := awsPages("kms:ListKeys in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListKeys(ctx, &kms.ListKeysInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		for _, k := range page.Keys {
			ids = append(ids, aws.ToString(k.KeyId))
		}
		if !page.Truncated {
			return nil, nil
		}
		return page.NextMarker, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("kms:ListKeys in "+region, err))}
	}
	out := forEach(ids, func(key string) map[string]any {
		id := region + "/" + key
		d, err := cl.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &key})
		if err != nil {
			return awsError(id, describeAWS("kms:DescribeKey on "+id, err))
		}
		if d.KeyMetadata.KeyManager != "CUSTOMER" {
			return nil
		}
		m := map[string]any{"id": id, "state": string(d.KeyMetadata.KeyState)}
		p, err := cl.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &key, PolicyName: aws.String("default")})
		if err != nil {
			m["error"] = describeAWS("kms:GetKeyPolicy on "+id, err)
			return m
		}
		exposure(m, aws.ToString(p.Policy), "kms", c.account)
		return m
	})
	kept := out[:0]
	for _, m := range out {
		if mm, ok := m.(map[string]any); ok && mm != nil {
			kept = append(kept, mm)
		}
	}
	return kept
}

// awsLambdaFunctions: {id: "REGION/FUNCTION", public, external,
// url_auth: "AWS_IAM"|"NONE"|"" (no URL; NONE when any URL has it),
// url_error?, runtime}.
func awsLambdaFunctions(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	cl := lambda.NewFromConfig(cfg)
	var fns []lambdatypes.FunctionConfiguration
	err := awsPages("lambda:ListFunctions in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: tok})
		if err != nil {
			return nil, err
		}
		fns = append(fns, page.Functions...)
		return page.NextMarker, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("lambda:ListFunctions in "+region, err))}
	}
	return forEach(fns, func(f lambdatypes.FunctionConfiguration) map[string]any {
		name := aws.ToString(f.FunctionName)
		id := region + "/" + name
		m := map[string]any{"id": id, "runtime": string(f.Runtime), "url_auth": ""}
		p, err := cl.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: &name})
		switch {
		case err == nil:
			exposure(m, aws.ToString(p.Policy), "lambda", c.account)
		case apiCode(err, "ResourceNotFoundException"):
			exposure(m, "", "lambda", c.account) // no resource policy
		default:
			m["error"] = describeAWS("lambda:GetPolicy on "+name, err)
			return m
		}
		// Function URLs attach to the unpublished function or to an alias:
		// each is asked for its URL. A URL that cannot be read is an
		// error for the URL check only.
		quals := []string{""}
		err = awsPages("lambda:ListAliases on "+name, func(tok *string) (*string, error) {
			page, err := cl.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: &name, Marker: tok})
			if err != nil {
				return nil, err
			}
			for _, a := range page.Aliases {
				quals = append(quals, aws.ToString(a.Name))
			}
			return page.NextMarker, nil
		})
		if err != nil {
			m["url_error"] = describeAWS("lambda:ListAliases on "+name, err)
			return m
		}
		for _, q := range quals {
			in := &lambda.GetFunctionUrlConfigInput{FunctionName: &name}
			if q != "" {
				in.Qualifier = aws.String(q)
			}
			u, err := cl.GetFunctionUrlConfig(ctx, in)
			switch {
			case apiCode(err, "ResourceNotFoundException"):
			case err != nil:
				m["url_error"] = describeAWS("lambda:GetFunctionUrlConfig on "+name, err)
				return m
			case u.AuthType == lambdatypes.FunctionUrlAuthTypeNone || m["url_auth"] == "":
				m["url_auth"] = string(u.AuthType)
			}
		}
		return m
	})
}

// awsSecrets: {id: "REGION/NAME", public, external, rotation,
// rotated_days (since the last rotation, or since made), accessed_days}.
func awsSecrets(ctx context.Context, cfg aws.Config, c *awsConfig, region string) []any {
	cl := secretsmanager.NewFromConfig(cfg)
	var out []any
	type entry struct {
		arn, name                  string
		rotation                   bool
		created, rotated, accessed *time.Time
	}
	var secrets []entry
	err := awsPages("secretsmanager:ListSecrets in "+region, func(tok *string) (*string, error) {
		page, err := cl.ListSecrets(ctx, &secretsmanager.ListSecretsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, s := range page.SecretList {
			secrets = append(secrets, entry{aws.ToString(s.ARN), aws.ToString(s.Name), aws.ToBool(s.RotationEnabled), s.CreatedDate, s.LastRotatedDate, s.LastAccessedDate})
		}
		return page.NextToken, nil
	})
	if err != nil {
		return []any{awsError(region, describeAWS("secretsmanager:ListSecrets in "+region, err))}
	}
	now := time.Now()
	days := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return int(now.Sub(*t).Hours() / 24)
	}
	out = forEach(secrets, func(s entry) map[string]any {
		id := region + "/" + s.name
		m := map[string]any{"id": id, "rotation": s.rotation, "rotated_days": days(s.rotated), "accessed_days": days(s.accessed)}
		if s.rotated == nil {
			m["rotated_days"] = days(s.created)
		}
		p, err := cl.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: &s.arn})
		if err != nil {
			m["error"] = describeAWS("secretsmanager:GetResourcePolicy on "+s.name, err)
			return m
		}
		exposure(m, aws.ToString(p.ResourcePolicy), "secretsmanager", c.account)
		return m
	})
	return out
}
