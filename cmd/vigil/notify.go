package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/vigil-soc/vigil"
	"github.com/vigil-soc/vigil/api"
	"github.com/vigil-soc/vigil/client"
)

const notificationsUsage = "Usage: vigil notifications channels\n" +
	"       vigil notifications add --name N --kind slack|teams|webhook|email --target URL|ADDRESS\n" +
	"       vigil notifications test ID\n" +
	"       vigil notifications remove ID\n" +
	"       vigil notifications log [--channel ID] [--state pending|delivered|dead] [--limit N]"

// runNotifications is `vigil notifications`: the channels and their
// delivery log.
func runNotifications(ctx context.Context, env *cliEnv, args []string) error {
	return dispatch(ctx, env, args, "channels", notificationsUsage,
		verb{"channels", notificationsChannels},
		verb{"add", notificationsAdd},
		namedVerb("test", notificationsByID),
		namedVerb("remove", notificationsByID),
		verb{"log", notificationsLog})
}

func notificationsChannels(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "notifications channels", "notifications channels")
	if err := c.parse(args); err != nil {
		return err
	}
	p, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Channel], error) { return cl.ListNotificationChannels(ctx) })
	if err != nil || printed {
		return err
	}
	rows := make([][]string, 0, len(p.Items))
	for _, ch := range p.Items {
		rows = append(rows, []string{strconv.FormatInt(ch.ID, 10), ch.Name, string(ch.Kind), ch.Shown})
	}
	table(env.stdout, []string{"ID", "NAME", "KIND", "GOES TO"}, rows)
	return nil
}

func notificationsAdd(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "notifications add", "notifications add --name N --kind K --target T")
	name := c.String("name", "", "the channel's name")
	kind := c.String("kind", "", "slack, teams, webhook or email")
	target := c.String("target", "", "the webhook URL or mail address")
	if err := c.parse(args); err != nil {
		return err
	}
	ch, printed, err := call(c, func(cl *client.Client) (*vigil.Channel, error) {
		return cl.CreateNotificationChannel(ctx, &vigil.Channel{Name: *name, Kind: vigil.ChannelKind(*kind), Target: *target})
	})
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "added channel %d (%s, %s)\n", ch.ID, ch.Name, ch.Shown)
	if ch.Secret != "" {
		fmt.Fprintf(env.stdout, "signing key (shown only now; receivers verify X-Vigil-Signature with it): %s\n", ch.Secret)
	}
	return nil
}

func notificationsByID(ctx context.Context, env *cliEnv, verb string, args []string) error {
	c := newAPICommand(env, "notifications "+verb, "notifications "+verb+" ID")
	if err := c.parse(args); err != nil {
		return err
	}
	if c.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: vigil notifications "+verb+" ID")
		return errUsage
	}
	id, err := argID("id", c.Arg(0))
	if err != nil {
		return err
	}
	if verb == "remove" {
		_, _, err := call(c, func(cl *client.Client) (*struct{}, error) { return nil, cl.DeleteNotificationChannel(ctx, id) })
		if err == nil {
			fmt.Fprintf(env.stdout, "removed channel %d\n", id)
		}
		return err
	}
	_, printed, err := call(c, func(cl *client.Client) (*vigil.Notification, error) { return cl.TestNotificationChannel(ctx, id) })
	if err != nil || printed {
		return err
	}
	fmt.Fprintf(env.stdout, "test message queued for channel %d; see vigil notifications log --channel %d\n", id, id)
	return nil
}

func notificationsLog(ctx context.Context, env *cliEnv, args []string) error {
	c := newAPICommand(env, "notifications log", "notifications log [--channel ID] [--state S] [--limit N]")
	channel := c.String("channel", "", "only this channel's deliveries")
	state := c.String("state", "", "pending, delivered or dead")
	limit := c.String("limit", "", "at most this many (default 100)")
	if err := c.parse(args); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"channel": *channel, "state": *state, "limit": *limit} {
		if v != "" {
			q.Set(k, v)
		}
	}
	p, printed, err := call(c, func(cl *client.Client) (*api.Page[vigil.Delivery], error) {
		return cl.ListNotificationDeliveries(ctx, q)
	})
	if err != nil || printed {
		return err
	}
	rows := make([][]string, 0, len(p.Items))
	for _, d := range p.Items {
		last := d.LastError
		if d.LastStatus != 0 {
			last = strconv.Itoa(d.LastStatus) + " " + last
		}
		rows = append(rows, []string{strconv.FormatInt(d.ID, 10), d.CreatedAt.UTC().Format("2006-01-02 15:04:05"), d.Channel, d.Subject, string(d.State), strconv.Itoa(d.Attempts), orDash(last)})
	}
	table(env.stdout, []string{"ID", "QUEUED", "CHANNEL", "MESSAGE", "STATE", "ATTEMPTS", "LAST ANSWER"}, rows)
	return nil
}
