// Command pulumi-resource-random serves @pulumi/random's RandomPassword, RandomString and RandomId
// to the Pulumi engine (see tools/pulumi-providers/README.md).
package main

import (
	"clinicmaster.local/tools/pulumi-providers/internal/kit"
	"clinicmaster.local/tools/pulumi-providers/random"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

func main() {
	p, resources := random.Provider(version)
	kit.Serve(p, resources...)
}
