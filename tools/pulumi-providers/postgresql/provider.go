package postgresql

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"clinicmaster.local/tools/pulumi-providers/internal/kit"
)

// Provider returns the postgresql provider and its resources.
func Provider(version string) (*kit.Provider[*Client], []*kit.Resource[*Client]) {
	p := &kit.Provider[*Client]{
		Name:      "postgresql",
		Version:   version,
		NewClient: NewClient,
	}
	return p, []*kit.Resource[*Client]{
		databaseResource(),
		roleResource(),
		grantResource(),
		defaultPrivilegesResource(),
	}
}

func emptyList() resource.PropertyValue {
	return resource.NewProperty([]resource.PropertyValue{})
}
