package cli

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// TestDemo runs README's first command, `--demo`, in a synctest bubble: the
// whole flow against the built-in fake must succeed, print the stages and
// the artifact, and show the outputs a pipeline would get.
func TestDemo(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
		defer cancel()
		n := &memnet.Network{}
		transport := n.Transport()
		t.Cleanup(transport.CloseIdleConnections)
		var stdout, stderr syncBuffer
		code := Run(ctx, Env{
			Args:       []string{"--demo"},
			Environ:    map[string]string{},
			Stdout:     &stdout,
			Stderr:     &stderr,
			HTTPClient: &http.Client{Transport: transport},
			Net:        n,
		})
		out, errOut := stdout.String(), stderr.String()
		if code != ExitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^Demo: a fake Jenkins serves http://127\.0\.0\.1:\d+/jenkins; triggering "demo/hello world"`),
			regexp.MustCompile(`(?m)^\s*hello from jenkins-trigger$`),
			regexp.MustCompile(`(?m)^» Stage Build: SUCCESS in 1\.5s$`),
			regexp.MustCompile(`(?m)^» Stage Deploy: SUCCESS in 3\.4s$`),
			regexp.MustCompile(`(?m)^» → demo/smoke test #1 started by demo/hello world #1$`),
			regexp.MustCompile(`(?m)^» demo/smoke test #1 \| SUCCESS in 1s http`),
			regexp.MustCompile(`(?m)^» Artifact dist/release-notes\.txt \(48 B\)$`),
			regexp.MustCompile(`(?m)^» Downloaded 1 artifact of demo/hello world #1 into .*/artifacts$`),
			regexp.MustCompile(`(?m)^JENKINS_RESULT=SUCCESS$`),
			regexp.MustCompile(`(?m)^JENKINS_FAILED_BUILD_URL=$`),
			regexp.MustCompile(`(?m)^JENKINS_BUILDS=.*"upstream":"http://127\.0\.0\.1:\d+/jenkins/job/demo/job/hello%20world/1/"`),
			regexp.MustCompile(`(?m)^JENKINS_BUILD_URL=http://127\.0\.0\.1:\d+/jenkins/job/demo/job/hello%20world/1/$`),
			regexp.MustCompile(`(?m)^Exit code: 0$`),
		} {
			if !want.MatchString(out + errOut) {
				t.Errorf("output lacks %s\nstdout:\n%s\nstderr:\n%s", want, out, errOut)
			}
		}
		if strings.Contains(out+errOut, "11demo0token0not0a0real0secret0x") {
			t.Error("the demo printed its token")
		}
	})
}
