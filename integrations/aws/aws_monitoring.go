package aws

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/vigil-soc/vigil/check/logfilter"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// awsLogGroups reads what CIS section 4 (monitoring) judges: the
// CloudWatch Logs groups that multi-region trails recording every
// management event deliver to, each with its metric filters, the alarms
// on each filter's metric, and how many confirmed subscriptions the SNS
// topics those alarms notify have:
//
//	{id: LOG GROUP ARN, trails: [names], filters: [{name, pattern,
//	 parse_error?, alarms: [{name, subscribed, topics}]}]}, or {id, error}
//
// Which events a pattern counts is for the checks to ask
// (cloudwatch.matches); parse_error marks a pattern that cannot be read,
// which no check credits. unknown is set when a trail that might qualify
// could not be read: without a qualifying group, the checks then cannot
// say "none".
func awsLogGroups(ctx context.Context, cfg aws.Config, account string, arns []string, trails map[string]map[string]any) ([]any, string) {
	byGroup := map[string][]string{}
	var unknown []string
	for _, arn := range arns {
		t := trails[arn]
		if t["status_error"] != nil || t["selectors_error"] != nil {
			unknown = append(unknown, t["name"].(string)+" could not be read")
			continue
		}
		lg, _ := t["log_group"].(string)
		if lg == "" || t["multi_region"] != true || t["logging"] != true || t["management_events"] != true {
			continue
		}
		byGroup[lg] = append(byGroup[lg], t["name"].(string))
	}
	groups := make([]any, 0, len(byGroup))
	var mu sync.Mutex
	var wg sync.WaitGroup
	alarms := &regionAlarms{cfg: cfg, byRegion: map[string]*alarmList{}}
	for lg, names := range byGroup {
		wg.Go(func() {
			g := awsLogGroup(ctx, cfg, account, lg, alarms)
			sort.Strings(names)
			g["trails"] = kind.ToAny(names)
			mu.Lock()
			groups = append(groups, g)
			mu.Unlock()
		})
	}
	wg.Wait()
	return sortByID(groups), strings.Join(unknown, "; ")
}

// logGroupOf splits arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*].
func logGroupOf(arn string) (region, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[2] != "logs" || parts[5] != "log-group" {
		return "", "", false
	}
	return parts[3], strings.TrimSuffix(parts[6], ":*"), true
}

func awsLogGroup(ctx context.Context, cfg aws.Config, account, arn string, alarms *regionAlarms) map[string]any {
	region, name, ok := logGroupOf(arn)
	if !ok {
		return awsError(arn, "the trail's log group is not a CloudWatch Logs group ARN: "+arn)
	}
	// An organization trail may deliver to another account's group: a
	// group of the same name here is not the one it writes to.
	if owner := strings.SplitN(arn, ":", 6)[4]; account == "" || owner != account {
		return awsError(arn, "the trail delivers to a log group of account "+owner+", not this one ("+account+"): judge its metric filters in that account")
	}
	cl := cloudwatchlogs.NewFromConfig(inRegion(cfg, region))
	var filters []any
	err := awsPages("logs:DescribeMetricFilters", func(tok *string) (*string, error) {
		out, err := cl.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: &name, NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, f := range out.MetricFilters {
			m := map[string]any{"id": aws.ToString(f.FilterName), "name": aws.ToString(f.FilterName), "pattern": aws.ToString(f.FilterPattern), "alarms": []any{}}
			if _, err := logfilter.Parse(aws.ToString(f.FilterPattern)); err != nil {
				m["parse_error"] = err.Error()
			}
			var metrics []metricKey
			for _, mt := range f.MetricTransformations {
				metrics = append(metrics, metricKey{aws.ToString(mt.MetricNamespace), aws.ToString(mt.MetricName)})
			}
			m["metrics"] = metrics
			filters = append(filters, m)
		}
		return out.NextToken, nil
	})
	if err != nil {
		return awsError(arn, describeAWS("logs:DescribeMetricFilters on "+name, err))
	}
	list, err := alarms.of(ctx, region)
	if err != nil {
		return awsError(arn, err.Error())
	}
	for _, f := range filters {
		m := f.(map[string]any)
		var on []any
		for _, mk := range m["metrics"].([]metricKey) {
			on = append(on, list.alarms[mk]...)
		}
		delete(m, "metrics")
		m["alarms"] = kind.NonNil(on)
	}
	return map[string]any{"id": arn, "filters": sortByID(filters)}
}

type metricKey struct{ namespace, name string }

// regionAlarms reads each region's metric alarms once, with the confirmed
// subscriptions of the SNS topics they notify.
type regionAlarms struct {
	cfg      aws.Config
	mu       sync.Mutex
	byRegion map[string]*alarmList
}

type alarmList struct {
	once   sync.Once
	alarms map[metricKey][]any
	err    error
}

func (r *regionAlarms) of(ctx context.Context, region string) (*alarmList, error) {
	r.mu.Lock()
	l := r.byRegion[region]
	if l == nil {
		l = &alarmList{}
		r.byRegion[region] = l
	}
	r.mu.Unlock()
	l.once.Do(func() { l.alarms, l.err = readAlarms(ctx, inRegion(r.cfg, region), region) })
	return l, l.err
}

func readAlarms(ctx context.Context, cfg aws.Config, region string) (map[metricKey][]any, error) {
	cw := cloudwatch.NewFromConfig(cfg)
	var all []cwtypes.MetricAlarm
	err := awsPages("cloudwatch:DescribeAlarms", func(tok *string) (*string, error) {
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		all = append(all, out.MetricAlarms...)
		return out.NextToken, nil
	})
	if err != nil {
		return nil, wrapAWS("cloudwatch:DescribeAlarms in "+region, err)
	}
	subscribed := map[string]int{}
	out := map[metricKey][]any{}
	for _, a := range all {
		// An alarm with its actions off notifies nobody; one with
		// dimensions never gets the filter's metric (a metric filter
		// publishes it without dimensions).
		if !aws.ToBool(a.ActionsEnabled) || len(a.Dimensions) > 0 {
			continue
		}
		var topics []any
		n := 0
		for _, action := range a.AlarmActions {
			if !strings.HasPrefix(action, "arn:aws:sns:") && !strings.HasPrefix(action, "arn:aws-") {
				continue
			}
			c, ok := subscribed[action]
			if !ok {
				if c, err = confirmedSubscriptions(ctx, cfg, action); err != nil {
					return nil, err
				}
				subscribed[action] = c
			}
			n += c
			topics = append(topics, action)
		}
		k := metricKey{aws.ToString(a.Namespace), aws.ToString(a.MetricName)}
		out[k] = append(out[k], map[string]any{"name": aws.ToString(a.AlarmName), "subscribed": n, "topics": kind.NonNil(topics)})
	}
	return out, nil
}

// confirmedSubscriptions counts a topic's subscriptions that are
// confirmed (a pending one notifies nobody), in the topic's region.
func confirmedSubscriptions(ctx context.Context, cfg aws.Config, topic string) (int, error) {
	parts := strings.SplitN(topic, ":", 6)
	if len(parts) < 6 {
		return 0, nil
	}
	cl := sns.NewFromConfig(inRegion(cfg, parts[3]))
	n := 0
	err := awsPages("sns:ListSubscriptionsByTopic", func(tok *string) (*string, error) {
		out, err := cl.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: &topic, NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, s := range out.Subscriptions {
			if strings.HasPrefix(aws.ToString(s.SubscriptionArn), "arn:") {
				n++
			}
		}
		return out.NextToken, nil
	})
	if err != nil {
		return 0, wrapAWS("sns:ListSubscriptionsByTopic on "+topic, err)
	}
	return n, nil
}

// wrapAWS is describeAWS as an error.
func wrapAWS(what string, err error) error { return errors.New(describeAWS(what, err)) }
