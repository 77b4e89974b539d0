package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// seedMonitoring plants a multi-region trail delivering to CloudWatch
// Logs with: a CloudTrail-changes filter written differently from CIS's
// text (alarmed, heard: passes); an IAM-policy filter that joins the
// events with && (matches nothing: fails); a root-usage filter whose alarm
// notifies a topic nobody subscribed to (fails); the rest absent (fail).
func seedMonitoring(t *testing.T) seeder {
	return func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		logs := cloudwatchlogs.NewFromConfig(cfg)
		must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("org-trail")}))
		lg := "arn:aws:logs:us-east-1:123456789012:log-group:org-trail:*"
		sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		must(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-trail-logs")}))
		ct := cloudtrail.NewFromConfig(cfg)
		must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org-trail"), S3BucketName: aws.String("org-trail-logs"),
			IsMultiRegionTrail: aws.Bool(true), CloudWatchLogsLogGroupArn: aws.String(lg),
			CloudWatchLogsRoleArn: aws.String("arn:aws:iam::123456789012:role/trail-to-logs"), KmsKeyId: aws.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
			EnableLogFileValidation: aws.Bool(true)}))
		must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org-trail")}))
		// Every management event, and every S3 object read and write.
		must(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("org-trail"), EventSelectors: []cttypes.EventSelector{{
			IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll,
			DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}}}}}))

		topics := sns.NewFromConfig(cfg)
		heard, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security-alerts")})
		if err != nil {
			t.Fatal(err)
		}
		must(topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: heard.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:pager")}))
		unheard, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("nobody")})
		if err != nil {
			t.Fatal(err)
		}
		cw := cloudwatch.NewFromConfig(cfg)
		filter := func(name, pattern, topic string) {
			must(logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String("org-trail"), FilterName: aws.String(name),
				FilterPattern: aws.String(pattern), MetricTransformations: []cwltypes.MetricTransformation{
					{MetricName: aws.String(name), MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1")}}}))
			must(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name + "-alarm"), MetricName: aws.String(name),
				Namespace: aws.String("CISBenchmark"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1),
				Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, AlarmActions: []string{topic}}))
		}
		filter("trail-changes", `{($.eventName=StopLogging)||($.eventName=DeleteTrail)||($.eventName=UpdateTrail)||($.eventName=CreateTrail)||($.eventName=StartLogging)}`, aws.ToString(heard.TopicArn))
		filter("iam-changes", `{ ($.eventName = PutUserPolicy) && ($.eventName = AttachUserPolicy) }`, aws.ToString(heard.TopicArn))
		filter("root-usage", `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, aws.ToString(unheard.TopicArn))
	}
}

func TestAWSMonitoring(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, seedMonitoring(t))
	n := 0
	for k, v := range got {
		if !strings.HasPrefix(k, "aws.cis-4-") {
			continue
		}
		n++
		want := "fail"
		if strings.HasPrefix(k, "aws.cis-4-5-") {
			want = "pass"
		}
		if v != want {
			t.Errorf("%s: %s (%s), want %s", k, v, why[k], want)
		} else {
			shown(k, v)
		}
	}
	org := "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail"
	expect(t, got, why, map[string]string{"aws.cloudtrail-cloudwatch " + org: "pass", "aws.cloudtrail-kms " + org: "pass",
		"aws.cloudtrail-s3-writes account": "pass", "aws.cloudtrail-s3-reads account": "pass", "aws.cloudtrail-logging " + org: "pass"})
	if n != 15 {
		t.Errorf("%d CIS 4.x results, want 15", n)
	}
	if w := why["aws.cis-4-4-iam-policy-changes account"]; !strings.Contains(w, "no metric filter on arn:aws:logs:us-east-1:123456789012:log-group:org-trail") {
		t.Errorf("4.4 reason: %q", w)
	}
}

// cisPatterns are the metric filter patterns the CIS AWS Foundations
// Benchmark v3.0 gives for recommendations 4.1 to 4.15, as published.
var cisPatterns = map[string]string{
	"4-1":  `{($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }`,
	"4-2":  `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`,
	"4-3":  `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
	"4-4":  `{($.eventSource=iam.amazonaws.com) && (($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy))}`,
	"4-5":  `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`,
	"4-6":  `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`,
	"4-7":  `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }`,
	"4-8":  `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`,
	"4-9":  `{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`,
	"4-10": `{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }`,
	"4-11": `{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }`,
	"4-12": `{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }`,
	"4-13": `{($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }`,
	"4-14": `{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }`,
	"4-15": `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`,
}

// TestAWSMonitoringComplete: a trail's log group with each of CIS's fifteen
// published patterns, each alarmed to a topic with a confirmed
// subscriber: every 4.x recommendation passes.
func TestAWSMonitoringComplete(t *testing.T) {
	got, why := motoAccount(t, []string{"us-east-1"}, func(ctx context.Context, cfg aws.Config, must func(any, error)) {
		logs := cloudwatchlogs.NewFromConfig(cfg)
		must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("trail")}))
		sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		must(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-logs")}))
		ct := cloudtrail.NewFromConfig(cfg)
		must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("trail"), S3BucketName: aws.String("trail-logs"), IsMultiRegionTrail: aws.Bool(true),
			CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:trail:*"), CloudWatchLogsRoleArn: aws.String("arn:aws:iam::123456789012:role/trail-to-logs")}))
		must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("trail")}))
		topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security")})
		must(topic, err)
		must(sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:pager")}))
		cw := cloudwatch.NewFromConfig(cfg)
		for n, pattern := range cisPatterns {
			name := "cis-" + n
			must(logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String("trail"), FilterName: aws.String(name), FilterPattern: aws.String(pattern),
				MetricTransformations: []cwltypes.MetricTransformation{{MetricName: aws.String(name), MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1")}}}))
			must(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), MetricName: aws.String(name), Namespace: aws.String("CISBenchmark"),
				Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
				ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, AlarmActions: []string{aws.ToString(topic.TopicArn)}}))
		}
	})
	n := 0
	for k, v := range got {
		if !strings.HasPrefix(k, "aws.cis-4-") {
			continue
		}
		n++
		if v != "pass" {
			t.Errorf("%s: %s (%s), want pass: CIS's own pattern is in place", k, v, why[k])
		} else {
			shown(k, v)
		}
	}
	if n != 15 {
		t.Errorf("%d CIS 4.x results, want 15", n)
	}
}
