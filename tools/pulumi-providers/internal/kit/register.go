package kit

// Register adds resource definitions to the provider, as Serve does. It lets tests drive the
// provider's gRPC methods (Configure, Check, Diff, Create, Read, Update, Delete) in process.
func (p *Provider[C]) Register(resources ...*Resource[C]) {
	if p.resources == nil {
		p.resources = map[string]*Resource[C]{}
	}
	for _, r := range resources {
		p.resources[r.Token] = r
	}
}
