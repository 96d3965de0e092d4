// Package demo sets up the built-in fake Jenkins and the inputs that
// `jenkins-trigger --demo` runs against, so that the command can show its
// whole flow with no Jenkins and no set-up. It is the one product package
// that links the test fake; the command's own packages stay free of it.
package demo

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// job is the job the demo triggers: in a folder, with a space in its name,
// on a Jenkins under a context path whose configured root URL is not the
// address served, as real ones often are.
const job = "demo/hello world"

// smokeJob is the job the demo's Pipeline starts in its Deploy stage and
// waits for, a downstream build the step finds and follows.
const smokeJob = "demo/smoke test"

const (
	user     = "demo"
	apiToken = "11demo0token0not0a0real0secret0x"
)

// Demo is a running fake Jenkins and the environment that triggers its job.
type Demo struct {
	// Environ is the command's environment for the demo run.
	Environ map[string]string
	srv     *jenkinstest.Server
	dir     string
	dotenv  string
}

// Start serves the fake Jenkins on n, or on a loopback port when n is nil,
// and prepares a temporary directory for the outputs and artifacts.
// githubActions is passed through so that the demo shows GitHub's log
// format when it runs in a workflow.
func Start(n *memnet.Network, githubActions string) (*Demo, error) {
	dir, err := os.MkdirTemp("", "jenkins-trigger-demo")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	srv := jenkinstest.New(jenkinstest.Options{
		Net:         n,
		ContextPath: "/jenkins",
		RootURL:     "https://jenkins.example.com/jenkins/",
		Users:       map[string]jenkinstest.User{user: {APIToken: apiToken}},
		WFAPI:       true,
		GraphView:   "stages",
	})
	srv.AddJob(jenkinstest.JobSpec{
		FullName: job,
		Pipeline: true,
		Params:   []jenkinstest.ParamDef{{Name: "GREETING", Type: "string", Default: "hello"}, {Name: "TARGET", Type: "choice", Choices: []string{"staging", "production"}}},
		Script:   script,
	})
	srv.AddJob(jenkinstest.JobSpec{FullName: smokeJob, Script: smoke})
	d := &Demo{srv: srv, dir: dir, dotenv: filepath.Join(dir, "outputs.env")}
	d.Environ = map[string]string{
		"JENKINS_URL":           srv.URL(),
		"JENKINS_JOB":           job,
		"JENKINS_USER":          user,
		"JENKINS_TOKEN":         apiToken,
		"JENKINS_PARAMETERS":    "GREETING=hello from jenkins-trigger\nTARGET=staging",
		"JENKINS_ARTIFACTS":     "dist/*",
		"JENKINS_ARTIFACTS_DIR": filepath.Join(dir, "artifacts"),
		"JENKINS_DOTENV":        d.dotenv,
		"GITHUB_ACTIONS":        githubActions,
	}
	return d, nil
}

// Intro says what the demo is about to do, with the inputs a user would
// set, the token left out.
func (d *Demo) Intro(w io.Writer) {
	fmt.Fprintf(w, "Demo: a fake Jenkins serves %s; triggering %q with:\n", d.srv.URL(), job)
	for _, k := range []string{"JENKINS_URL", "JENKINS_JOB", "JENKINS_USER", "JENKINS_PARAMETERS", "JENKINS_ARTIFACTS"} {
		fmt.Fprintf(w, "  %s=%q\n", k, d.Environ[k])
	}
	fmt.Fprintln(w)
}

// Outro shows the outputs the run wrote, as a pipeline would receive them,
// and its exit code.
func (d *Demo) Outro(w io.Writer, code int) {
	if outputs, err := os.ReadFile(d.dotenv); err == nil {
		fmt.Fprintf(w, "\nOutputs (as written to the dotenv file):\n%s", outputs)
	}
	fmt.Fprintf(w, "Exit code: %d\n", code)
}

// Close stops the fake Jenkins and removes the demo's files.
func (d *Demo) Close() error {
	d.srv.Close()
	return os.RemoveAll(d.dir)
}

// script is a short Pipeline that waits in the queue, runs two stages
// writing a coloured console over a few seconds, archives a file and
// succeeds. The fake adds Jenkins' own "Started by", stage and "Finished:"
// lines.
func script(params map[string]string) jenkinstest.Script {
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
		Downstream: []jenkinstest.Downstream{{At: 2 * time.Second, Job: smokeJob, Wait: true, Propagate: true, Stage: "Deploy"}},
		Artifacts: []jenkinstest.Artifact{
			{RelativePath: "dist/release-notes.txt", Content: []byte(params["GREETING"] + ", deployed to " + params["TARGET"] + "\n")},
		},
	}
	for i, l := range lines {
		s.Log = append(s.Log, jenkinstest.LogLine{At: time.Duration(i) * 4 * time.Second / time.Duration(len(lines)), Text: l})
	}
	return s
}

// smoke is the freestyle job the Pipeline waits for: a second of checks.
func smoke(map[string]string) jenkinstest.Script {
	return jenkinstest.Script{
		Duration:          time.Second,
		Result:            "SUCCESS",
		EstimatedDuration: time.Second,
		Log:               []jenkinstest.LogLine{{Text: "+ ./smoke.sh"}, {At: 800 * time.Millisecond, Text: "all 12 checks passed"}},
	}
}
