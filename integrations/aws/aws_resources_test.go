package aws

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// seedResources plants a public and a restricted look-alike of each kind
// of resource policy, and the other settings the resource checks judge.
func seedResources(t *testing.T) seeder {
	return func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		anyone := func(action, resource, cond string) string {
			return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"` + action + `","Resource":"` + resource + `"` + cond + `}]}`
		}
		fromAccount := `,"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}`

		topics := sns.NewFromConfig(cfg)
		for name, cond := range map[string]string{"open-topic": "", "account-topic": fromAccount} {
			tp, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			must(topics.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("Policy"),
				AttributeValue: aws.String(anyone("sns:Publish", aws.ToString(tp.TopicArn), cond))}))
		}
		queues := sqs.NewFromConfig(cfg)
		for name, cond := range map[string]string{"open-queue": "", "arn-queue": `,"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:account-topic"}}`} {
			q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			must(queues.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl, Attributes: map[string]string{
				string(sqstypes.QueueAttributeNamePolicy): anyone("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:"+name, cond)}}))
			if name == "arn-queue" {
				must(queues.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl, Attributes: map[string]string{"SqsManagedSseEnabled": "false"}}))
			}
		}
		keys := kms.NewFromConfig(cfg)
		open, err := keys.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("open"), Policy: aws.String(anyone("kms:Decrypt", "*", ""))})
		if err != nil {
			t.Fatal(err)
		}
		doomed, err := keys.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("doomed")})
		if err != nil {
			t.Fatal(err)
		}
		must(keys.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: doomed.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)}))
		keyIDs["open"], keyIDs["doomed"] = aws.ToString(open.KeyMetadata.KeyId), aws.ToString(doomed.KeyMetadata.KeyId)
		// Rotation: on for the open key, off for a key kept as it was made.
		must(keys.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: open.KeyMetadata.KeyId}))
		static, err := keys.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("static")})
		if err != nil {
			t.Fatal(err)
		}
		keyIDs["static"] = aws.ToString(static.KeyMetadata.KeyId)
		// A topic encrypted with a KMS key.
		must(topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("sealed-topic"), Attributes: map[string]string{"KmsMasterKeyId": "alias/aws/sns"}}))

		role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		fns := lambda.NewFromConfig(cfg)
		for _, name := range []string{"open-fn", "account-fn"} {
			must(fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role.Role.Arn, Runtime: lambdatypes.RuntimePython312,
				Handler: aws.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: zipped(t, "index.py", "def handler(e, c): return 1\n")}}))
		}
		// A function on a runtime AWS no longer supports.
		must(fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("old-fn"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimePython37,
			Handler: aws.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: zipped(t, "index.py", "def handler(e, c): return 1\n")}}))
		must(fns.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("open-fn"), StatementId: aws.String("anyone"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")}))
		must(fns.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("account-fn"), StatementId: aws.String("events"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com"), SourceAccount: aws.String("123456789012")}))
		must(fns.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("open-fn"), AuthType: lambdatypes.FunctionUrlAuthTypeNone}))
		must(fns.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("account-fn"), AuthType: lambdatypes.FunctionUrlAuthTypeAwsIam}))

		secrets := secretsmanager.NewFromConfig(cfg)
		for _, name := range []string{"open-secret", "quiet-secret"} {
			must(secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("s3cr3t")}))
		}
		must(secrets.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("open-secret"),
			ResourcePolicy: aws.String(anyone("secretsmanager:GetSecretValue", "*", ""))}))

	}
}

var keyIDs = map[string]string{}

func zipped(t *testing.T, name, body string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(body))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAWSResourcePolicies(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, seedResources(t))
	want := wantResources()
	expect(t, got, why, want)
	for k, v := range got {
		if v == "error" && (strings.Contains(k, "-not-public ") || strings.HasPrefix(k, "aws.secrets") || strings.HasPrefix(k, "aws.lambda")) {
			t.Errorf("%s could not be judged: %s", k, why[k])
		}
	}
}

// wantResources is what TestAWSResourcePolicies wants of its seeded account.
func wantResources() map[string]string {
	r := "us-east-1/"
	want := map[string]string{
		"aws.sns-not-public " + r + "open-topic":               "fail",
		"aws.sns-not-public " + r + "account-topic":            "pass",
		"aws.sqs-not-public " + r + "open-queue":               "fail",
		"aws.sqs-not-public " + r + "arn-queue":                "pass",
		"aws.kms-key-not-public " + r + keyIDs["open"]:         "fail",
		"aws.kms-key-not-public " + r + keyIDs["doomed"]:       "pass",
		"aws.kms-not-pending-deletion " + r + keyIDs["doomed"]: "fail",
		"aws.kms-not-pending-deletion " + r + keyIDs["open"]:   "pass",
		"aws.lambda-not-public " + r + "open-fn":               "fail",
		"aws.lambda-not-public " + r + "account-fn":            "pass",
		"aws.lambda-url-auth " + r + "open-fn":                 "fail",
		"aws.lambda-url-auth " + r + "account-fn":              "pass",
		"aws.secrets-not-public " + r + "open-secret":          "fail",
		"aws.secrets-not-public " + r + "quiet-secret":         "pass",
		"aws.secrets-rotation " + r + "quiet-secret":           "fail",
		"aws.secrets-rotated " + r + "quiet-secret":            "pass", // made today
	}
	want["aws.lambda-runtime-supported "+r+"open-fn"] = "pass"
	want["aws.lambda-runtime-supported "+r+"old-fn"] = "fail"
	want["aws.sns-encrypted "+r+"sealed-topic"] = "pass"
	want["aws.secrets-used "+r+"quiet-secret"] = "fail" // never read
	want["aws.kms-rotation "+r+keyIDs["open"]] = "pass"
	want["aws.kms-rotation "+r+keyIDs["static"]] = "fail"
	want["aws.sns-encrypted "+r+"open-topic"] = "fail"
	// New queues are encrypted with SSE-SQS by default (AWS since 2022, and
	// moto); the one planted with it turned off is not.
	want["aws.sqs-encrypted "+r+"open-queue"] = "pass"
	want["aws.sqs-encrypted "+r+"arn-queue"] = "fail"
	return want
}
