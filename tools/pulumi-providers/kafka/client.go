// Package kafka implements the resources of @pulumi/kafka the programs use (Topic, Acl) with
// franz-go's admin client, over SASL/SCRAM or PLAIN and TLS, as the MSK and loopback brokers need.
package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// Settings is the provider configuration, as @pulumi/kafka's Provider sends it.
type Settings struct {
	BootstrapServers []string
	SASLMechanism    string
	SASLUsername     string
	SASLPassword     string
	TLSEnabled       bool
	SkipTLSVerify    bool
	CACert           string
	Timeout          time.Duration
}

// Client connects on first use and is shared by every operation of one provider instance.
type Client struct {
	Settings Settings
	once     sync.Once
	cl       *kgo.Client
	adm      *kadm.Client
	err      error
}

// ParseSettings reads the provider configuration; every problem is reported at once.
func ParseSettings(cfg kit.Props) (Settings, error) {
	var problems []string
	s := Settings{}
	var err error
	if s.BootstrapServers, err = kit.Strs(cfg, "bootstrapServers", false); err != nil {
		problems = append(problems, err.Error())
	}
	s.SASLMechanism = strings.ToLower(kit.Str(cfg, "saslMechanism"))
	if s.SASLMechanism == "" {
		s.SASLMechanism = "plain"
	}
	s.SASLUsername = kit.Str(cfg, "saslUsername")
	s.SASLPassword = kit.Str(cfg, "saslPassword")
	if s.TLSEnabled, err = kit.Bool(cfg, "tlsEnabled", true); err != nil {
		problems = append(problems, err.Error())
	}
	if s.SkipTLSVerify, err = kit.Bool(cfg, "skipTlsVerify", false); err != nil {
		problems = append(problems, err.Error())
	}
	s.CACert = kit.Str(cfg, "caCert")
	if f := kit.Str(cfg, "caCertFile"); f != "" && s.CACert == "" {
		b, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, fmt.Sprintf("caCertFile: cannot read %s: %v", f, err))
		}
		s.CACert = string(b)
	}
	timeout, err := kit.Int(cfg, "timeout", 120)
	if err != nil {
		problems = append(problems, err.Error())
	}
	s.Timeout = time.Duration(timeout) * time.Second
	for _, k := range []string{"clientCert", "clientKey", "clientCertFile", "clientKeyFile", "saslAwsRegion", "saslTokenUrl"} {
		if kit.Known(cfg, k) && kit.Str(cfg, k) != "" {
			problems = append(problems, fmt.Sprintf("%s: not supported by this provider (it speaks SASL/SCRAM or PLAIN over TLS); remove it", k))
		}
	}
	switch s.SASLMechanism {
	case "plain", "scram-sha256", "scram-sha512":
	default:
		problems = append(problems, fmt.Sprintf("saslMechanism: %q is not supported; use scram-sha512, scram-sha256 or plain", s.SASLMechanism))
	}
	if len(problems) > 0 {
		return s, errors.New("kafka provider configuration: " + strings.Join(problems, "; "))
	}
	return s, nil
}

func (c *Client) admin() (*kadm.Client, error) {
	c.once.Do(func() {
		s := c.Settings
		if len(s.BootstrapServers) == 0 {
			c.err = errors.New("no bootstrapServers configured; set them on the kafka.Provider")
			return
		}
		opts := []kgo.Opt{
			kgo.SeedBrokers(s.BootstrapServers...),
			kgo.ClientID("clinicmaster-pulumi-kafka"),
			kgo.RetryTimeout(s.Timeout),
			kgo.MetadataMinAge(250 * time.Millisecond),
		}
		if s.TLSEnabled {
			tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.SkipTLSVerify} //nolint:gosec // only when skipTlsVerify is set
			if s.CACert != "" {
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM([]byte(s.CACert)) {
					c.err = errors.New("caCert: no PEM certificate found in it")
					return
				}
				tc.RootCAs = pool
			}
			opts = append(opts, kgo.DialTLSConfig(tc))
		}
		if s.SASLUsername != "" {
			var m sasl.Mechanism
			switch s.SASLMechanism {
			case "scram-sha512":
				m = scram.Auth{User: s.SASLUsername, Pass: s.SASLPassword}.AsSha512Mechanism()
			case "scram-sha256":
				m = scram.Auth{User: s.SASLUsername, Pass: s.SASLPassword}.AsSha256Mechanism()
			default:
				m = plain.Auth{User: s.SASLUsername, Pass: s.SASLPassword}.AsMechanism()
			}
			opts = append(opts, kgo.SASL(m))
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			c.err = fmt.Errorf("kafka client: %w", err)
			return
		}
		c.cl, c.adm = cl, kadm.NewClient(cl)
	})
	return c.adm, c.err
}

// Ping checks that the brokers answer (used by tests).
func (c *Client) Ping(ctx context.Context) error {
	adm, err := c.admin()
	if err != nil {
		return err
	}
	_, err = adm.BrokerMetadata(ctx)
	return err
}

// Provider returns the kafka provider and its resources.
func Provider(version string) (*kit.Provider[*Client], []*kit.Resource[*Client]) {
	p := &kit.Provider[*Client]{
		Name:    "kafka",
		Version: version,
		NewClient: func(cfg kit.Props) (*Client, error) {
			s, err := ParseSettings(cfg)
			if err != nil {
				return nil, err
			}
			return &Client{Settings: s}, nil
		},
		OperationTimeout: 3 * time.Minute,
	}
	return p, []*kit.Resource[*Client]{topicResource(), aclResource()}
}
