package kafka

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestACLParseAndID(t *testing.T) {
	a := ACL{"User:clinicmaster-sink", "*", "IdempotentWrite", "Allow", "Cluster", "kafka-cluster", "Literal"}
	if _, f := a.Parse(); len(f) != 0 {
		t.Fatalf("valid ACL refused: %v", f)
	}
	if got := aclFromID(a.ID()); got != a {
		t.Fatalf("ID does not round-trip: %v", got)
	}
	bad := ACL{"clinicmaster-sink", "", "Wrte", "Permit", "Table", "", "Glob"}
	_, f := bad.Parse()
	props := map[string]bool{}
	for _, x := range f {
		props[x.Property] = true
	}
	for _, want := range append(aclInputs[:0:0], aclInputs...) {
		if !props[want] {
			t.Errorf("no failure for %s (got %v)", want, f)
		}
	}
}

func TestSettings(t *testing.T) {
	cfg := resource.NewPropertyMapFromMap(map[string]any{
		"bootstrapServers": `["127.0.0.1:9093"]`,
		"saslMechanism":    "scram-sha512",
		"saslUsername":     "admin",
		"tlsEnabled":       "true",
		"timeout":          "60",
	})
	cfg["saslPassword"] = resource.MakeSecret(resource.NewProperty("pw"))
	s, err := ParseSettings(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.BootstrapServers) != 1 || !s.TLSEnabled || s.SASLPassword != "pw" || s.Timeout.Seconds() != 60 {
		t.Fatalf("settings: %+v", s)
	}
	cfg["saslMechanism"] = resource.NewProperty("aws-iam")
	cfg["clientCert"] = resource.NewProperty("PEM")
	_, err = ParseSettings(cfg)
	if err == nil || !strings.Contains(err.Error(), "saslMechanism") || !strings.Contains(err.Error(), "clientCert") {
		t.Fatalf("want both problems in one message, got %v", err)
	}
	if strings.Contains(err.Error(), "pw") {
		t.Fatal("the password must never appear in an error")
	}
}

func TestTopicFewerPartitionsReplaces(t *testing.T) {
	r := topicResource()
	olds := resource.NewPropertyMapFromMap(map[string]any{"name": "t", "partitions": 6.0})
	fewer := resource.NewPropertyMapFromMap(map[string]any{"name": "t", "partitions": 3.0})
	more := resource.NewPropertyMapFromMap(map[string]any{"name": "t", "partitions": 12.0})
	if got := r.ExtraReplaces(olds, fewer); len(got) != 1 || got[0] != "partitions" {
		t.Fatalf("fewer partitions must replace, got %v", got)
	}
	if got := r.ExtraReplaces(olds, more); len(got) != 0 {
		t.Fatalf("more partitions is an in-place change, got %v", got)
	}
	if f := r.Validate(resource.NewPropertyMapFromMap(map[string]any{"name": "", "partitions": 0.0, "replicationFactor": 1.0})); len(f) != 2 {
		t.Fatalf("want failures for name and partitions, got %v", f)
	}
}
