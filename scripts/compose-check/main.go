// compose-check validates docker-compose.yml with compose-go, the loader Docker Compose itself
// uses (schema, interpolation, anchors, depends_on), without a Docker engine.
// Usage: go run ./scripts/compose-check docker-compose.yml   (MINIO_ROOT_PASSWORD must be set)
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check FILE")
		os.Exit(2)
	}
	opts, err := cli.NewProjectOptions([]string{os.Args[1]}, cli.WithOsEnv, cli.WithName("bgbias"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Printf("%s: valid, %d services\n", os.Args[1], len(project.Services))
}
