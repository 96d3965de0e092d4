package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// killJobs are three jobs that each wait in the queue, then build for
// longer than any test runs, in real time: whatever the moment of a kill,
// something of each is queued or running.
var killJobs = []string{"team/deploy-eu", "team/deploy-us", "team/deploy-ap"}

// TestKilledStep runs the built command against a fake Jenkins in real
// time, SIGKILLs it as Jenkins receives its nth request (n from 1 to 20,
// which covers reading the jobs, each trigger as Jenkins answers it, the
// queue and the builds), then runs the post mode with the same inputs, as
// GitLab's after_script does. Afterwards no queue item waits, no build
// runs, no job was triggered twice, and the dotenv file the killed step
// left names every build it had read.
func TestKilledStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "jenkins-trigger")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var mu sync.Mutex
	phases := map[string]int{}
	for n := 1; n <= 20; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			phase := killAt(t, bin, n)
			mu.Lock()
			phases[phase]++
			mu.Unlock()
		})
	}
	t.Cleanup(func() {
		t.Logf("phases the kills reached: %v", phases)
		for _, want := range []string{"reading the jobs", "while Jenkins answered a trigger", "queued", "following"} {
			if phases[want] == 0 {
				t.Errorf("no kill %s: %v", want, phases)
			}
		}
	})
}

// killAt runs one step killed at Jenkins' nth request, then the post mode,
// and says what the step was doing when it was killed.
func killAt(t *testing.T, bin string, n int) string {
	var (
		mu      sync.Mutex
		count   int
		proc    *os.Process
		phase   string
		readBld = map[string]bool{} // jobs whose build #1 the step asked about
		posted  bool                // a trigger was sent
	)
	srv := jenkinstest.New(jenkinstest.Options{
		ContextPath: "/jenkins",
		Users:       map[string]jenkinstest.User{"alice": {APIToken: secretToken}},
		Fault: func(r *http.Request) jenkinstest.Fault {
			mu.Lock()
			defer mu.Unlock()
			if proc == nil {
				return jenkinstest.FaultNone // the post mode's, or the checks'
			}
			count++
			if count == n {
				_ = proc.Kill()
				proc = nil
				switch {
				case isTrigger(r):
					phase = "while Jenkins answered a trigger"
				case !posted:
					phase = "reading the jobs"
				case len(readBld) == 0:
					phase = "queued"
				default:
					phase = "following"
				}
				return jenkinstest.FaultNone
			}
			posted = posted || isTrigger(r)
			for _, job := range killJobs {
				if strings.Contains(r.URL.Path, jobPath(job)+"1/") {
					readBld[job] = true
				}
			}
			return jenkinstest.FaultNone
		},
	})
	t.Cleanup(srv.Close)
	for _, job := range killJobs {
		srv.AddJob(jenkinstest.JobSpec{FullName: job, Params: []jenkinstest.ParamDef{{Name: "V", Type: "string"}},
			Script: func(map[string]string) jenkinstest.Script {
				return jenkinstest.Script{QueueWait: 300 * time.Millisecond, Duration: time.Hour,
					Log: []jenkinstest.LogLine{{At: 0, Text: "deploying"}}}
			}})
	}
	dir := t.TempDir()
	env := []string{
		"JENKINS_URL=" + srv.URL(), "JENKINS_USER=alice", "JENKINS_TOKEN=" + secretToken,
		"JENKINS_JOB=" + strings.Join(killJobs, "\n"), "JENKINS_PARAMETERS=V=1",
		"JENKINS_DOTENV=" + filepath.Join(dir, "outputs.env"), "SSL_CERT_DIR=/nonexistent",
	}
	var out bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
	mu.Lock()
	if err := cmd.Start(); err != nil {
		mu.Unlock()
		t.Fatal(err)
	}
	proc = cmd.Process
	mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		<-ctx.Done()
		_ = cmd.Process.Kill() // a step that never reached the nth request
	}()
	if err := cmd.Wait(); err == nil || ctx.Err() != nil {
		t.Fatalf("the step was not killed (%v):\n%s", err, out.String())
	}
	mu.Lock()
	reached := keys(readBld)
	mu.Unlock()

	var postOut bytes.Buffer
	post := exec.CommandContext(ctx, bin, "post")
	post.Env, post.Stdout, post.Stderr = env, &postOut, &postOut
	if err := post.Run(); err != nil {
		t.Fatalf("post: %v\n%s", err, postOut.String())
	}

	if q := queuedIn(t, srv); len(q) != 0 {
		t.Errorf("killed %s: queue items left waiting: %v\nstep:\n%s\npost:\n%s", phase, q, out.String(), postOut.String())
	}
	for _, job := range killJobs {
		builds := srv.Builds(job)
		if len(builds) > 1 {
			t.Errorf("%s triggered %d times", job, len(builds))
		}
		for _, b := range builds {
			if !b.Aborted && b.Completed.IsZero() {
				t.Errorf("killed %s: %s #%d still runs\nstep:\n%s\npost:\n%s", phase, job, b.Number, out.String(), postOut.String())
			}
		}
	}
	dotenv, _ := os.ReadFile(filepath.Join(dir, "outputs.env"))
	for _, job := range reached {
		if !strings.Contains(string(dotenv), jobPath(job)+"1/") {
			t.Errorf("killed %s after reading %s #1, the dotenv file does not name it:\n%s", phase, job, dotenv)
		}
	}
	return phase
}

// jobPath is a job's path under Jenkins' context path, as the fake serves it.
func jobPath(fullName string) string {
	return "/job/" + strings.ReplaceAll(fullName, "/", "/job/") + "/"
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
