package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/clock"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// demoJob is the job the demo triggers: in a folder, with a space in its
// name, on a Jenkins under a context path whose configured root URL is not
// the address served, as real ones often are.
const demoJob = "demo/hello world"

// runDemo runs the whole flow against the built-in fake Jenkins, in real
// time, and prints the outputs a pipeline would receive.
func runDemo(ctx context.Context, e Env) int {
	srv := jenkinstest.New(jenkinstest.Options{
		Clock:       clock.Real{},
		ContextPath: "/jenkins",
		RootURL:     "https://jenkins.example.com/jenkins/",
		Users:       map[string]jenkinstest.User{"demo": {APIToken: "11demo0token0not0a0real0secret0x"}},
		WFAPI:       true,
	})
	defer srv.Close()
	srv.AddJob(jenkinstest.JobSpec{
		FullName: demoJob,
		Pipeline: true,
		Params:   []jenkinstest.ParamDef{{Name: "GREETING", Type: "string", Default: "hello"}, {Name: "TARGET", Type: "choice", Choices: []string{"staging", "production"}}},
		Script:   demoScript,
	})
	dir, err := os.MkdirTemp("", "jenkins-trigger-demo")
	if err != nil {
		fmt.Fprintf(e.Stderr, "error: demo: %v\n", err)
		return ExitJenkins
	}
	defer os.RemoveAll(dir)
	dotenv := filepath.Join(dir, "outputs.env")
	environ := map[string]string{
		"JENKINS_URL":           srv.URL(),
		"JENKINS_JOB":           demoJob,
		"JENKINS_USER":          "demo",
		"JENKINS_TOKEN":         "11demo0token0not0a0real0secret0x",
		"JENKINS_PARAMETERS":    "GREETING=hello from jenkins-trigger\nTARGET=staging",
		"JENKINS_ARTIFACTS":     "dist/*",
		"JENKINS_ARTIFACTS_DIR": filepath.Join(dir, "artifacts"),
		"JENKINS_DOTENV":        dotenv,
		"GITHUB_ACTIONS":        e.Environ["GITHUB_ACTIONS"],
	}
	fmt.Fprintf(e.Stdout, "Demo: a fake Jenkins serves %s; triggering %q with:\n", srv.URL(), demoJob)
	for _, k := range []string{"JENKINS_URL", "JENKINS_JOB", "JENKINS_USER", "JENKINS_PARAMETERS", "JENKINS_ARTIFACTS"} {
		fmt.Fprintf(e.Stdout, "  %s=%q\n", k, environ[k])
	}
	fmt.Fprintln(e.Stdout)
	code := trigger(ctx, Env{Environ: environ, Stdout: e.Stdout, Stderr: e.Stderr, Clock: e.Clock})
	outputs, err := os.ReadFile(dotenv)
	if err == nil {
		fmt.Fprintf(e.Stdout, "\nOutputs (as written to the dotenv file):\n%s", outputs)
	}
	fmt.Fprintf(e.Stdout, "Exit code: %d\n", code)
	return code
}

// demoScript is a short Pipeline that waits in the queue, runs two stages
// writing a coloured console over a few seconds, archives a file and
// succeeds. The fake adds Jenkins' own "Started by", stage and "Finished:"
// lines.
func demoScript(params map[string]string) jenkinstest.Script {
	lines := []string{
		"+ echo " + params["GREETING"],
		params["GREETING"],
		"+ ./deploy.sh --target " + params["TARGET"],
		"\x1b[32m[deploy]\x1b[0m resolving artifacts",
		"\x1b[32m[deploy]\x1b[0m uploading 3 files",
		"\x1b[32m[deploy]\x1b[0m restarting service",
		"\x1b[32m[deploy]\x1b[0m health check passed",
	}
	s := jenkinstest.Script{
		QuietPeriod:       time.Second,
		QueueWait:         time.Second,
		Duration:          4 * time.Second,
		Result:            "SUCCESS",
		EstimatedDuration: 4 * time.Second,
		Stages: []jenkinstest.Stage{
			{Name: "Build", Start: 0, Duration: 1500 * time.Millisecond},
			{Name: "Deploy", Start: 1500 * time.Millisecond, Duration: 2400 * time.Millisecond},
		},
		Artifacts: []jenkinstest.Artifact{
			{RelativePath: "dist/release-notes.txt", Content: []byte(params["GREETING"] + ", deployed to " + params["TARGET"] + "\n")},
		},
	}
	for i, l := range lines {
		s.Log = append(s.Log, jenkinstest.LogLine{At: time.Duration(i) * 4 * time.Second / time.Duration(len(lines)), Text: l})
	}
	return s
}
