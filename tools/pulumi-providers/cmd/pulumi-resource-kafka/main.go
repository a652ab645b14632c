// Command pulumi-resource-kafka serves @pulumi/kafka's Topic and Acl to the Pulumi engine, over
// SASL/SCRAM and TLS (see tools/pulumi-providers/README.md).
package main

import (
	"clinicmaster.local/tools/pulumi-providers/internal/kit"
	"clinicmaster.local/tools/pulumi-providers/kafka"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

func main() {
	p, resources := kafka.Provider(version)
	kit.Serve(p, resources...)
}
