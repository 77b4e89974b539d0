package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
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
			CloudWatchLogsRoleArn: aws.String("arn:aws:iam::123456789012:role/trail-to-logs")}))
		must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org-trail")}))

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
		}
	}
	if n != 15 {
		t.Errorf("%d CIS 4.x results, want 15", n)
	}
	if w := why["aws.cis-4-4-iam-policy-changes account"]; !strings.Contains(w, "no metric filter on arn:aws:logs:us-east-1:123456789012:log-group:org-trail") {
		t.Errorf("4.4 reason: %q", w)
	}
}
