// Command pulumi-resource-postgresql serves @pulumi/postgresql's Database, Role, Grant and
// DefaultPrivileges to the Pulumi engine (see tools/pulumi-providers/README.md).
package main

import (
	"clinicmaster.local/tools/pulumi-providers/internal/kit"
	"clinicmaster.local/tools/pulumi-providers/postgresql"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

func main() {
	p, resources := postgresql.Provider(version)
	kit.Serve(p, resources...)
}
