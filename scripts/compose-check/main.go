// compose-check validates a compose file with compose-go, the loader Docker Compose itself uses
// (schema, interpolation, anchors, depends_on), without a Docker engine, and asserts that it is
// closed by default: no port is published beyond loopback unless an address is configured.
// Usage: go run . ../../docker-compose.yml   (MINIO_ROOT_PASSWORD and POSTGRES_PASSWORD must be set)
// Tests: go test ./...  (the shipped file passes; testdata/ files with ports on all interfaces fail)
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run is main without the process around it (the tests call it).
func run(args []string, environ []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: compose-check FILE")
		return 2
	}
	file := args[0]
	// The default is what is checked: an address the caller configured does not count.
	project, err := loadProject(file, withoutBindSettings(environ))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return 1
	}
	if findings := openByDefault(project); len(findings) > 0 {
		fmt.Fprintf(stderr, "%s: published beyond loopback without configuration:\n", file)
		for _, f := range findings {
			fmt.Fprintf(stderr, "  %s\n", f)
		}
		fmt.Fprintln(stderr, `bind each published port to 127.0.0.1 unless configured, e.g. "${BGBIAS_BIND:-127.0.0.1}:7233:7233"`)
		return 1
	}
	fmt.Fprintf(stdout, "%s: valid, %d services, every published port on loopback by default\n", file, len(project.Services))
	return 0
}
