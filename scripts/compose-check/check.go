package main

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// bindSettings are the variables that move the published ports off loopback (docker-compose.yml).
var bindSettings = []string{"BGBIAS_BIND", "BGBIAS_UI_BIND"}

// loadProject loads a compose file as `docker compose` would, with exactly the given environment.
func loadProject(file string, environ []string) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{file}, cli.WithEnv(environ), cli.WithName("bgbias"))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func withoutBindSettings(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		drop := false
		for _, name := range bindSettings {
			if strings.HasPrefix(kv, name+"=") {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// openByDefault lists every way a service is reachable from other machines: a published port
// whose host address is empty (Docker then binds all interfaces), a wildcard or any other
// non-loopback address, and host networking (the container's ports are the host's).
func openByDefault(p *types.Project) []string {
	var findings []string
	for name, svc := range p.Services {
		if svc.NetworkMode == "host" {
			findings = append(findings, fmt.Sprintf("service %s: network_mode host (every port it opens is on the host's interfaces)", name))
		}
		for _, port := range svc.Ports {
			published := port.Published
			if published == "" {
				published = "(random)"
			}
			ip := net.ParseIP(port.HostIP)
			if ip == nil || !ip.IsLoopback() {
				where := port.HostIP
				if where == "" {
					where = "all interfaces"
				}
				findings = append(findings, fmt.Sprintf("service %s: host port %s -> %d/%s on %s", name, published, port.Target, port.Protocol, where))
			}
		}
	}
	sort.Strings(findings)
	return findings
}
