// Command jenkins-trigger triggers a Jenkins job from any CI pipeline,
// follows it to its result while streaming its console, and reports the
// result as step outputs and as its exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/jenkins-trigger/jenkins-trigger/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGHUP, os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.OSEnv())
	stop()
	os.Exit(code)
}
