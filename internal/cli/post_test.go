package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/backstop"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// The tests of this file hold "When the step is killed" in
// shared/interface.md through the whole command: the main step saves what
// it owns as it learns it, and the post mode stops what a killed step left.

// stateRecords reads every record a step saved to GITHUB_STATE, in order,
// as the runner's file command reads name<<delimiter blocks.
func stateRecords(t *testing.T, path string) []backstop.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []backstop.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			t.Fatalf("GITHUB_STATE line %q", sc.Text())
		}
		var value []string
		for sc.Scan() && sc.Text() != delim {
			value = append(value, sc.Text())
		}
		if name != "jenkins_trigger" {
			t.Fatalf("GITHUB_STATE saves %q", name)
		}
		var rec backstop.Record
		if err := json.Unmarshal([]byte(strings.Join(value, "\n")), &rec); err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// postHarness is a later run of the command, in post mode, on the same
// fake Jenkins with the same inputs, handed state as the runner hands it.
func (h *harness) post(state backstop.Record) *harness {
	h.t.Helper()
	p := h.again()
	for k, v := range h.env {
		p.env[k] = v
	}
	data, err := json.Marshal(state)
	if err != nil {
		h.t.Fatal(err)
	}
	p.env["STATE_jenkins_trigger"] = string(data)
	delete(p.env, "GITHUB_STATE")
	return p
}

func (h *harness) postWant(want int) {
	h.t.Helper()
	code := Run(context.Background(), Env{Args: []string{"post"}, Environ: h.env, Stdout: &h.stdout, Stderr: &h.stderr, HTTPClient: h.http})
	if code != want {
		h.t.Fatalf("post: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, h.stdout.String(), h.stderr.String())
	}
}

// TestPost: a step of three jobs that ends by itself at wait_for start
// saves each build as it learns it, then that it ended: the post mode
// then sends nothing. Handed instead the last record before the end, as a
// step killed then would have left it, the post mode reads each build once
// and stops each, and touches nothing else.
func TestPost(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{WFAPI: true})
		threeRegions(h)
		state := filepath.Join(h.dir, "state")
		h.set("JENKINS_JOB", regions, "JENKINS_PARAMETERS", "V=1", "JENKINS_WAIT_FOR", "start",
			"GITHUB_ACTIONS", "true", "GITHUB_STATE", state)
		h.runWant(ExitOK)
		recs := stateRecords(t, state)
		last := recs[len(recs)-1]
		if !last.Ended {
			t.Fatalf("the last record of a step that ended: %+v", last)
		}

		sent := len(h.srv.Requests())
		h.post(last).postWant(ExitOK)
		if n := len(h.srv.Requests()) - sent; n != 0 {
			t.Errorf("the post mode after a step that ended sent %d requests", n)
		}

		killed := recs[len(recs)-2]
		if len(killed.Builds) != 3 || killed.Ended {
			t.Fatalf("the record before the end: %+v", killed)
		}
		for _, o := range killed.Builds {
			if o.Build == 0 || o.Queue == 0 || o.Done {
				t.Errorf("saved %+v, want its queue item and build", o)
			}
		}
		p := h.post(killed)
		p.postWant(ExitOK)
		var reads, stops int
		for _, r := range h.srv.Requests()[sent:] {
			switch {
			case r.Method == "GET" && strings.HasSuffix(r.Path, "/1/api/json"):
				reads++
			case r.Method == "POST" && strings.HasSuffix(r.Path, "/1/stop"):
				stops++
			case strings.HasSuffix(r.Path, "/crumbIssuer/api/json"):
				// The crumb a password's POST needs.
			default:
				t.Errorf("post mode sent %s %s", r.Method, r.Path)
			}
		}
		if reads != 3 || stops != 3 {
			t.Errorf("%d reads and %d stops, want 3 of each", reads, stops)
		}
		for _, job := range strings.Split(regions, "\n") {
			if b := h.srv.Builds(job); len(b) != 1 || !b[0].Aborted {
				t.Errorf("%s: builds %+v, want its one build stopped", job, b)
			}
			if !strings.Contains(p.stdout.String(), "Asked Jenkins to stop "+job+" #1") {
				t.Errorf("post mode does not say it stopped %s:\n%s", job, p.stdout.String())
			}
		}
		p.assertNoSecrets()
	})
}

// TestPostSavesOnlyOwned: a step that only follows builds saves none, even
// with abort_on_stop true for them: the post mode touches only what the
// step triggered.
func TestPostSavesOnlyOwned(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h0 := newHarness(t, jenkinstest.Options{WFAPI: true})
		threeRegions(h0)
		h0.set("JENKINS_JOB", regions, "JENKINS_PARAMETERS", "V=1", "JENKINS_WAIT_FOR", "start")
		h0.runWant(ExitOK)
		h := h0.again()
		state := filepath.Join(h.dir, "state")
		h.set("JENKINS_FOLLOW", h0.outputs()["JENKINS_BUILDS"], "JENKINS_WAIT_FOR", "start", "JENKINS_ABORT_ON_STOP", "true",
			"GITHUB_ACTIONS", "true", "GITHUB_STATE", state)
		h.runWant(ExitOK)
		for _, rec := range stateRecords(t, state) {
			if len(rec.Builds) != 0 {
				t.Errorf("a step that triggered nothing saved %+v", rec)
			}
		}
	})
}

// TestPostStateBesideDotenv: off GitHub the record is a file beside the
// dotenv file, which the post mode reads and leaves as the step left it.
func TestPostStateBesideDotenv(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{WFAPI: true})
		threeRegions(h)
		h.set("JENKINS_JOB", regions, "JENKINS_PARAMETERS", "V=1", "JENKINS_WAIT_FOR", "start")
		h.runWant(ExitOK)
		dotenv := h.env["JENKINS_DOTENV"]
		before, err := os.ReadFile(dotenv)
		if err != nil {
			t.Fatal(err)
		}
		rec, found, err := backstop.Load(func(string) string { return "" }, dotenv)
		if err != nil || !found || !rec.Ended {
			t.Fatalf("record beside the dotenv: %+v, %v, %v", rec, found, err)
		}
		sent := len(h.srv.Requests())
		p := h.again()
		for k, v := range h.env {
			p.env[k] = v
		}
		p.postWant(ExitOK)
		if n := len(h.srv.Requests()) - sent; n != 0 {
			t.Errorf("post mode sent %d requests", n)
		}
		if after, _ := os.ReadFile(dotenv); string(after) != string(before) {
			t.Errorf("post mode changed the dotenv file:\n%s\nwas:\n%s", after, before)
		}
	})
}

// TestPostWithoutState: act runs a docker action's post-entrypoint without
// STATE_jenkins_trigger, with GITHUB_STATE a new empty file in the same
// directory and the same GITHUB_ACTION. The post mode then reads the file
// the step kept beside GITHUB_STATE: after a step that ended it sends
// nothing; after a killed one it stops each build; STATE_, when the runner
// gives it, wins over the file. Each time it removes the file.
func TestPostWithoutState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, jenkinstest.Options{WFAPI: true})
	threeRegions(h)
	state := filepath.Join(h.dir, "statecmd.txt")
	h.set("JENKINS_JOB", regions, "JENKINS_PARAMETERS", "V=1", "JENKINS_WAIT_FOR", "start",
		"GITHUB_ACTIONS", "true", "GITHUB_STATE", state, "GITHUB_ACTION", "trigger")
	h.runWant(ExitOK)
	recs := stateRecords(t, state)
	ended, killed := recs[len(recs)-1], recs[len(recs)-2]
	kept, err := filepath.Glob(filepath.Join(h.dir, "jenkins-trigger-*"))
	if err != nil || len(kept) != 1 {
		t.Fatalf("files beside GITHUB_STATE: %v, %v; want one", kept, err)
	}
	if data, _ := os.ReadFile(kept[0]); !strings.Contains(string(data), `"ended":true`) {
		t.Fatalf("the file a step that ended kept: %s", data)
	}

	keep := func(rec backstop.Record) {
		t.Helper()
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(kept[0], data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	post := func(stateVar *backstop.Record) *harness {
		t.Helper()
		p := h.again()
		for k, v := range h.env {
			p.env[k] = v
		}
		if err := os.WriteFile(state, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if stateVar != nil {
			data, err := json.Marshal(*stateVar)
			if err != nil {
				t.Fatal(err)
			}
			p.env["STATE_jenkins_trigger"] = string(data)
		}
		p.postWant(ExitOK)
		if _, err := os.Stat(kept[0]); !os.IsNotExist(err) {
			t.Errorf("the post mode left the file beside GITHUB_STATE: %v", err)
		}
		return p
	}
	sent := len(h.srv.Requests())
	for _, tt := range []struct {
		name     string
		file     backstop.Record
		stateVar *backstop.Record
	}{
		{"a step that ended", ended, nil},
		{"STATE_ over the file", killed, &ended},
	} {
		keep(tt.file)
		post(tt.stateVar)
		if n := len(h.srv.Requests()) - sent; n != 0 {
			t.Fatalf("%s: the post mode sent %d requests", tt.name, n)
		}
	}

	keep(killed)
	p := post(nil)
	for _, job := range strings.Split(regions, "\n") {
		if b := h.srv.Builds(job); len(b) != 1 || !b[0].Aborted {
			t.Errorf("%s: builds %+v, want its one build stopped", job, b)
		}
		if !strings.Contains(p.stdout.String(), "Asked Jenkins to stop "+job+" #1") {
			t.Errorf("post mode does not say it stopped %s:\n%s", job, p.stdout.String())
		}
	}
}

// TestPostRepeatsNoWarning: the warnings of the inputs are the main
// step's to give; the post mode, run with the same inputs, gives none of
// them again.
func TestPostRepeatsNoWarning(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Script: script("SUCCESS", 10*time.Second, 2)})
		h.onGitHub()
		h.set("JENKINS_JOB", "deploy", "JENKINS_HEADERS", "X-Num: 1000", "GITHUB_STATE", filepath.Join(h.dir, "state"))
		h.runWant(ExitOK)
		if !strings.Contains(h.stdout.String(), "::warning::the value of header X-Num is too short") {
			t.Fatalf("the main step does not warn:\n%s", h.stdout.String())
		}
		p := h.again()
		for k, v := range h.env {
			p.env[k] = v
		}
		p.postWant(ExitOK)
		if strings.Contains(p.stdout.String(), "::warning::") {
			t.Errorf("the post mode warns again:\n%s", p.stdout.String())
		}
	})
}
