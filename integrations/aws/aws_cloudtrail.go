package aws

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/vigil-soc/vigil/integrations/kind"
)

// awsCloudTrail reads the trails of every region (DescribeTrails with
// shadow trails: a multi-region trail is listed in every region it
// records, and an organization trail in every member account), once per
// trail by ARN, and judges region coverage apart from the trails:
//
//   - trails: {id: ARN, name, home_region, multi_region, organization,
//     validation, logging, management_events, status_error?,
//     selectors_error?}, sorted by ARN; a region whose trails could not
//     be listed adds {id: REGION, error}, since a trail of its own is
//     unknown. Status and event selectors are read in the trail's home
//     region.
//   - regions: {id: REGION, covered, trails: [...]} for each region read:
//     covered when a trail that applies to the region (seen there) is
//     logging and records every management event (read and write);
//     trails lists the trails that apply and what each lacks. {id,
//     error} when the region's trails could not be listed, or when no
//     trail is known to cover it and one that might could not be read.
//
// Nothing depends on the order of the regions: each region is judged
// from its own listing, and a trail's facts come from its home region.
func awsCloudTrail(ctx context.Context, cfg aws.Config, account string, regions []string) map[string]any {
	type listing struct {
		trails []cttypes.Trail
		err    string
	}
	listed := make([]listing, len(regions))
	var wg sync.WaitGroup
	sem := make(chan struct{}, awsParallel)
	for i, region := range regions {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			d, err := cloudtrail.NewFromConfig(inRegion(cfg, region)).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
			if err != nil {
				listed[i].err = describeAWS("cloudtrail:DescribeTrails in "+region, err)
				return
			}
			listed[i].trails = d.TrailList
		})
	}
	wg.Wait()
	// One entry per ARN; regions are sorted, so the first listing kept is
	// always the same one.
	byARN := map[string]cttypes.Trail{}
	seenIn := map[string]string{}
	var arns []string
	for i, l := range listed {
		for _, t := range l.trails {
			arn := aws.ToString(t.TrailARN)
			if _, ok := byARN[arn]; !ok {
				byARN[arn], seenIn[arn] = t, regions[i]
				arns = append(arns, arn)
			}
		}
	}
	sort.Strings(arns)
	judged := make(map[string]map[string]any, len(arns))
	var mu sync.Mutex
	for _, arn := range arns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			m := awsTrail(ctx, cfg, byARN[arn], seenIn[arn])
			mu.Lock()
			judged[arn] = m
			mu.Unlock()
		})
	}
	wg.Wait()
	trails := []any{}
	for _, arn := range arns {
		trails = append(trails, judged[arn])
	}
	var covers []any
	for i, l := range listed {
		region := regions[i]
		if l.err != "" {
			trails = append(trails, awsError(region, l.err))
			covers = append(covers, awsError(region, l.err))
			continue
		}
		covers = append(covers, trailCoverage(region, l.trails, judged))
	}
	out := map[string]any{"trails": sortByID(trails), "regions": sortByID(covers)}
	groups, unknown := awsLogGroups(ctx, cfg, account, arns, judged)
	out["log_groups"] = groups
	if unknown != "" {
		out["log_groups_unknown"] = unknown
	}
	for _, l := range listed {
		if l.err != "" && len(groups) == 0 {
			out["log_groups_unknown"] = l.err
		}
	}
	return out
}

// awsTrail reads one trail's status and event selectors in its home
// region. An unread status is an error, not "not logging" and not
// "logging".
func awsTrail(ctx context.Context, cfg aws.Config, t cttypes.Trail, seenIn string) map[string]any {
	arn := aws.ToString(t.TrailARN)
	home := aws.ToString(t.HomeRegion)
	if home == "" {
		home = seenIn
	}
	m := map[string]any{"id": arn, "name": aws.ToString(t.Name), "home_region": home,
		"multi_region": aws.ToBool(t.IsMultiRegionTrail), "organization": aws.ToBool(t.IsOrganizationTrail),
		"validation": aws.ToBool(t.LogFileValidationEnabled), "logging": false, "management_events": false,
		"log_group": aws.ToString(t.CloudWatchLogsLogGroupArn), "kms_key": aws.ToString(t.KmsKeyId), "bucket": aws.ToString(t.S3BucketName)}
	cl := cloudtrail.NewFromConfig(inRegion(cfg, home))
	if st, err := cl.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: &arn}); err != nil {
		m["status_error"] = describeAWS("cloudtrail:GetTrailStatus on "+arn, err)
	} else {
		m["logging"] = aws.ToBool(st.IsLogging)
	}
	if es, err := cl.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: &arn}); err != nil {
		m["selectors_error"] = describeAWS("cloudtrail:GetEventSelectors on "+arn, err)
	} else {
		m["management_events"] = allManagementEvents(es.EventSelectors, es.AdvancedEventSelectors, aws.ToBool(t.HasCustomEventSelectors))
		m["s3_writes"], m["s3_reads"] = allS3DataEvents(es.EventSelectors, es.AdvancedEventSelectors)
	}
	return m
}

// allManagementEvents: the trail records every management event, read and
// write (CIS AWS 3.1). Basic selectors: one with IncludeManagementEvents
// and ReadWriteType All (excluding event sources, such as KMS, is
// allowed). Advanced selectors: one selecting eventCategory Management
// without a readOnly field (which keeps only reads or only writes). A
// trail with no selectors at all records the default, every management
// event, unless DescribeTrails says it has custom selectors.
func allManagementEvents(basic []cttypes.EventSelector, advanced []cttypes.AdvancedEventSelector, custom bool) bool {
	if len(basic) == 0 && len(advanced) == 0 {
		return !custom
	}
	for _, s := range basic {
		if aws.ToBool(s.IncludeManagementEvents) && s.ReadWriteType == cttypes.ReadWriteTypeAll {
			return true
		}
	}
	for _, s := range advanced {
		management, readOnly := false, false
		for _, f := range s.FieldSelectors {
			switch aws.ToString(f.Field) {
			case "eventCategory":
				management = len(f.Equals) == 1 && f.Equals[0] == "Management"
			case "readOnly":
				readOnly = true
			}
		}
		if management && !readOnly {
			return true
		}
	}
	return false
}

// trailCoverage judges one region from the trails listed there.
func trailCoverage(region string, listed []cttypes.Trail, judged map[string]map[string]any) map[string]any {
	var what, unknown []string
	for _, t := range listed {
		m := judged[aws.ToString(t.TrailARN)]
		name := m["name"].(string) + " (" + m["home_region"].(string) + ")"
		status, _ := m["status_error"].(string)
		selectors, _ := m["selectors_error"].(string)
		switch {
		case status == "" && m["logging"] != true:
			what = append(what, name+" is not logging")
		case status != "" || selectors != "":
			// It might cover the region: the region is unknown unless
			// another trail is known to cover it.
			for _, e := range []string{status, selectors} {
				if e != "" {
					unknown = append(unknown, e)
				}
			}
			what = append(what, name+" could not be read")
		case m["management_events"] == true:
			return map[string]any{"id": region, "covered": true, "trails": []any{name + " logs it"}}
		default:
			what = append(what, name+" does not record all management events")
		}
	}
	sort.Strings(what)
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return awsError(region, "whether a trail logs "+region+" cannot be told: "+strings.Join(unknown, "; "))
	}
	return map[string]any{"id": region, "covered": false, "trails": kind.ToAny(what)}
}

// trailBucketLogging says whether the bucket a trail delivers to keeps
// server access logs (CIS 3.4), read in the bucket's own region. It is
// called only for buckets the account's own bucket list did not judge
// (trailBucketsLogging): a bucket of another account (an organization
// trail's) is read like any other, and refused, it is an error.
func trailBucketLogging(ctx context.Context, cfg aws.Config, bucket string) (bool, string) {
	home := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
	loc, err := home.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
	if err != nil {
		return false, describeAWS("s3:GetBucketLocation on the trail bucket "+bucket, err)
	}
	cl := s3.NewFromConfig(inRegion(cfg, bucketRegion(loc.LocationConstraint)), func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
	l, err := cl.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: &bucket})
	if err != nil {
		return false, describeAWS("s3:GetBucketLogging on the trail bucket "+bucket, err)
	}
	return l.LoggingEnabled != nil, ""
}

// allS3DataEvents: the trail records object-level events (data events) of
// every bucket, writes and reads (CIS 3.8, 3.9). Basic selectors: a data
// resource of type AWS::S3::Object whose values include "arn:aws:s3"
// (every bucket), with ReadWriteType All, WriteOnly or ReadOnly. Advanced
// selectors: eventCategory Data and resources.type AWS::S3::Object, with
// no field narrowing it to some buckets (resources.ARN) or some events
// (eventName), and readOnly absent (both), false (writes) or true
// (reads).
func allS3DataEvents(basic []cttypes.EventSelector, advanced []cttypes.AdvancedEventSelector) (writes, reads bool) {
	for _, s := range basic {
		for _, d := range s.DataResources {
			if aws.ToString(d.Type) != "AWS::S3::Object" || !slices.ContainsFunc(d.Values, func(v string) bool { return v == "arn:aws:s3" || v == "arn:aws:s3:::" }) {
				continue
			}
			writes = writes || s.ReadWriteType == cttypes.ReadWriteTypeAll || s.ReadWriteType == cttypes.ReadWriteTypeWriteOnly
			reads = reads || s.ReadWriteType == cttypes.ReadWriteTypeAll || s.ReadWriteType == cttypes.ReadWriteTypeReadOnly
		}
	}
	for _, s := range advanced {
		data, object, narrowed := false, false, false
		readOnly := ""
		for _, f := range s.FieldSelectors {
			only := func(v string) bool {
				return len(f.Equals) == 1 && f.Equals[0] == v && len(f.NotEquals)+len(f.StartsWith)+len(f.NotStartsWith)+len(f.EndsWith)+len(f.NotEndsWith) == 0
			}
			switch aws.ToString(f.Field) {
			case "eventCategory":
				data = only("Data")
			case "resources.type":
				object = only("AWS::S3::Object")
			case "readOnly":
				switch {
				case only("true"):
					readOnly = "true"
				case only("false"):
					readOnly = "false"
				default:
					narrowed = true
				}
			default:
				narrowed = true // resources.ARN, eventName, ...: some events only
			}
		}
		if !data || !object || narrowed {
			continue
		}
		writes = writes || readOnly != "true"
		reads = reads || readOnly != "false"
	}
	return writes, reads
}

// trailBucketsLogging sets bucket_logging (or bucket_logging_error) on
// each trail, from the S3 collection when the bucket is the account's
// own (already read there), else by reading it.
func trailBucketsLogging(ctx context.Context, cfg aws.Config, trailIn, s3In map[string]any) {
	own := map[string]map[string]any{}
	if bs, ok := s3In["buckets"].([]any); ok {
		for _, b := range bs {
			if m, ok := b.(map[string]any); ok {
				own[m["id"].(string)] = m
			}
		}
	}
	trails, _ := trailIn["trails"].([]any)
	for _, t := range trails {
		m, _ := t.(map[string]any)
		name, _ := m["bucket"].(string)
		if name == "" {
			continue
		}
		if b, ok := own[name]; ok {
			if e, ok := b["logging_error"].(string); ok && e != "" {
				m["bucket_logging_error"] = e
			} else if l, ok := b["logging"].(bool); ok {
				m["bucket_logging"] = l
			} else {
				m["bucket_logging_error"] = "the logging of the trail bucket " + name + " was not read"
			}
			continue
		}
		if on, msg := trailBucketLogging(ctx, cfg, name); msg != "" {
			m["bucket_logging_error"] = msg
		} else {
			m["bucket_logging"] = on
		}
	}
}
