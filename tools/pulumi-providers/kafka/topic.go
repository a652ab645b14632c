package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// topicResource is kafka:index/topic:Topic. ID = topic name. A new name or replication factor
// replaces the topic (as in the Terraform provider); fewer partitions too (Kafka cannot shrink a
// topic); more partitions and config changes are made in place.
func topicResource() *kit.Resource[*Client] {
	return &kit.Resource[*Client]{
		Token:               "kafka:index/topic:Topic",
		Inputs:              []string{"name", "partitions", "replicationFactor", "config"},
		Replace:             []string{"name", "replicationFactor"},
		DeleteBeforeReplace: true,
		Validate: func(in kit.Props) []kit.Failure {
			var f []kit.Failure
			if !kit.Unknown(in, "name") && kit.Str(in, "name") == "" {
				f = append(f, kit.Failure{Property: "name", Reason: "name is required"})
			}
			for _, k := range []string{"partitions", "replicationFactor"} {
				if kit.Unknown(in, k) {
					continue
				}
				if n, err := kit.Int(in, k, 0); err != nil || n < 1 {
					f = append(f, kit.Failure{Property: k, Reason: fmt.Sprintf("%s must be a whole number of at least 1, got %q", k, kit.Str(in, k))})
				}
			}
			return f
		},
		ExtraReplaces: func(olds, news kit.Props) []string {
			o, _ := kit.Int(olds, "partitions", 0)
			n, _ := kit.Int(news, "partitions", 0)
			if kit.Known(news, "partitions") && n < o {
				return []string{"partitions"}
			}
			return nil
		},
		Create: func(ctx context.Context, c *Client, in kit.Props) (string, map[string]any, error) {
			adm, err := c.admin()
			if err != nil {
				return "", nil, err
			}
			name := kit.Str(in, "name")
			partitions, _ := kit.Int(in, "partitions", 1)
			rf, _ := kit.Int(in, "replicationFactor", 1)
			cfg, err := kit.StrMap(in, "config")
			if err != nil {
				return "", nil, err
			}
			configs := map[string]*string{}
			for k, v := range cfg {
				configs[k] = &v
			}
			resp, err := adm.CreateTopic(ctx, int32(partitions), int16(rf), configs, name)
			if err != nil {
				return "", nil, err
			}
			if resp.Err != nil {
				return "", nil, fmt.Errorf("topic %s: %w%s", name, resp.Err, detail(&resp.ErrMessage))
			}
			if err := waitTopic(ctx, adm, name, true); err != nil {
				return "", nil, err
			}
			return name, topicOutputs(name, partitions, rf, cfg), nil
		},
		Read: func(ctx context.Context, c *Client, id string, _ kit.Props) (map[string]any, error) {
			adm, err := c.admin()
			if err != nil {
				return nil, err
			}
			return readTopic(ctx, adm, id)
		},
		Update: func(ctx context.Context, c *Client, id string, olds, news kit.Props) (map[string]any, error) {
			adm, err := c.admin()
			if err != nil {
				return nil, err
			}
			oldP, _ := kit.Int(olds, "partitions", 0)
			newP, _ := kit.Int(news, "partitions", 0)
			if newP > oldP {
				resp, err := adm.UpdatePartitions(ctx, newP, id)
				if err != nil {
					return nil, err
				}
				if r, ok := resp[id]; ok && r.Err != nil {
					return nil, fmt.Errorf("topic %s: raising partitions to %d: %w%s", id, newP, r.Err, detail(&r.ErrMessage))
				}
			}
			oldCfg, err := kit.StrMap(olds, "config")
			if err != nil {
				return nil, err
			}
			newCfg, err := kit.StrMap(news, "config")
			if err != nil {
				return nil, err
			}
			var alter []kadm.AlterConfig
			for k, v := range newCfg {
				if ov, ok := oldCfg[k]; !ok || ov != v {
					alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v})
				}
			}
			for k := range oldCfg {
				if _, ok := newCfg[k]; !ok {
					alter = append(alter, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
				}
			}
			if len(alter) > 0 {
				resp, err := adm.AlterTopicConfigs(ctx, alter, id)
				if err != nil {
					return nil, err
				}
				for _, r := range resp {
					if r.Err != nil {
						return nil, fmt.Errorf("topic %s: changing config: %w%s", id, r.Err, detail(&r.ErrMessage))
					}
				}
			}
			// What the brokers say now, so the state matches them.
			outs, err := readTopic(ctx, adm, id)
			if err != nil {
				return nil, err
			}
			if outs == nil {
				return nil, fmt.Errorf("topic %s disappeared during the update", id)
			}
			return outs, nil
		},
		Delete: func(ctx context.Context, c *Client, id string, _ kit.Props) error {
			adm, err := c.admin()
			if err != nil {
				return err
			}
			resp, err := adm.DeleteTopics(ctx, id)
			if err != nil {
				return err
			}
			if r, ok := resp[id]; ok && r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
				return fmt.Errorf("topic %s: %w%s", id, r.Err, detail(&r.ErrMessage))
			}
			return waitTopic(ctx, adm, id, false)
		},
	}
}

func detail(msg *string) string {
	if msg == nil || *msg == "" {
		return ""
	}
	return " (" + *msg + ")"
}

func topicOutputs(name string, partitions, rf int, cfg map[string]string) map[string]any {
	return map[string]any{
		"name":              name,
		"partitions":        float64(partitions),
		"replicationFactor": float64(rf),
		"config":            kit.AnyMap(cfg),
	}
}

// readTopic returns the topic as the brokers have it: partitions, replication factor and the configs
// set on the topic itself (not broker defaults), or nil when it does not exist.
func readTopic(ctx context.Context, adm *kadm.Client, name string) (map[string]any, error) {
	details, err := adm.ListTopics(ctx, name)
	if err != nil {
		return nil, err
	}
	d, ok := details[name]
	if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
		return nil, nil
	}
	if d.Err != nil {
		return nil, fmt.Errorf("topic %s: %w", name, d.Err)
	}
	rf := 0
	for _, p := range d.Partitions {
		rf = len(p.Replicas)
		break
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, name)
	if err != nil {
		return nil, err
	}
	cfg := map[string]string{}
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("topic %s: describing configs: %w%s", name, rc.Err, detail(&rc.ErrMessage))
		}
		for _, e := range rc.Configs {
			if e.Source == kmsg.ConfigSourceDynamicTopicConfig && e.Value != nil {
				cfg[e.Key] = *e.Value
			}
		}
	}
	return topicOutputs(name, len(d.Partitions), rf, cfg), nil
}

// waitTopic waits (bounded by ctx) until the topic's metadata shows it present or gone.
func waitTopic(ctx context.Context, adm *kadm.Client, name string, present bool) error {
	for {
		details, err := adm.ListTopics(ctx, name)
		if err == nil {
			d, ok := details[name]
			exists := ok && d.Err == nil && len(d.Partitions) > 0
			if exists == present {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			state := "appear"
			if !present {
				state = "disappear"
			}
			return fmt.Errorf("topic %s did not %s in the brokers' metadata in time: %w", name, state, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
