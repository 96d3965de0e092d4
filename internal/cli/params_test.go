package cli

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

var deployParams = []jenkinstest.ParamDef{
	{Name: "VERSION", Type: "string", Default: "latest"},
	{Name: "TARGET", Type: "choice", Choices: []string{"staging", "production"}},
	{Name: "DRY_RUN", Type: "boolean", Default: "false"},
	{Name: "NOTES", Type: "text"},
	{Name: "PLAN", Type: "file"},
	{Name: "BUNDLE", Type: "base64File"},
	{Name: "MANIFEST", Type: "stashedFile"},
}

func TestFilesArriveByteForByte(t *testing.T) {
	t.Parallel()
	for _, auth := range []string{"api token", "password"} {
		t.Run(auth, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Params: deployParams, Script: script("SUCCESS", 5*time.Second, 2)})
				if auth == "password" {
					h.set("JENKINS_USER", "bob", "JENKINS_TOKEN", secretPassword)
				}
				bin := make([]byte, 300<<10)
				rng := rand.New(rand.NewPCG(1, 2))
				for i := range bin {
					bin[i] = byte(rng.UintN(256))
				}
				binPath := filepath.Join(h.dir, "bündle ✓.bin")
				manifest := filepath.Join(h.dir, "manifest.yaml")
				plan := filepath.Join(h.dir, "plan.txt")
				for p, data := range map[string][]byte{binPath: bin, manifest: []byte("app: x\n"), plan: nil} {
					if err := os.WriteFile(p, data, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				h.set("JENKINS_JOB", "deploy",
					"JENKINS_PARAMETERS", `{"VERSION": "a=b&c#d?e f/ü", "NOTES": "two\nlines\r\nand ✓", "DRY_RUN": true, "TARGET": "staging"}`,
					"JENKINS_FILES", "BUNDLE="+binPath+"\nMANIFEST="+manifest+"\nPLAN="+plan)
				h.runWant(ExitOK)
				builds := h.srv.Builds("deploy")
				if len(builds) != 1 {
					t.Fatalf("builds = %+v", builds)
				}
				b := builds[0]
				wantParams := map[string]string{"VERSION": "a=b&c#d?e f/ü", "NOTES": "two\nlines\r\nand ✓", "DRY_RUN": "true", "TARGET": "staging"}
				for k, v := range wantParams {
					if b.Params[k] != v {
						t.Errorf("%s = %q, want %q", k, b.Params[k], v)
					}
				}
				if f := b.Files["BUNDLE"]; f.Filename != "bündle ✓.bin" || !bytes.Equal(f.Content, bin) {
					t.Errorf("BUNDLE arrived as %q, %d bytes, equal=%v", f.Filename, f.Size, bytes.Equal(f.Content, bin))
				}
				if f := b.Files["MANIFEST"]; f.Filename != "manifest.yaml" || string(f.Content) != "app: x\n" {
					t.Errorf("MANIFEST = %+v", f)
				}
				if f, ok := b.Files["PLAN"]; !ok || f.Size != 0 {
					t.Errorf("empty PLAN = %+v, %v", f, ok)
				}
			})
		})
	}
}

func TestLineParametersArriveExactly(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Params: deployParams, Script: script("SUCCESS", 5*time.Second, 2)})
		h.set("JENKINS_JOB", "deploy", "JENKINS_PARAMETERS", "VERSION= x=1&y=2#z?w \r\nNOTES=日本語 ✓\nDRY_RUN=TRUE")
		h.runWant(ExitOK)
		b := h.srv.Builds("deploy")[0]
		for k, v := range map[string]string{"VERSION": " x=1&y=2#z?w ", "NOTES": "日本語 ✓", "DRY_RUN": "true", "TARGET": "staging"} {
			if b.Params[k] != v {
				t.Errorf("%s = %q, want %q", k, b.Params[k], v)
			}
		}
	})
}

func TestParametersCheckedBeforeTriggering(t *testing.T) {
	t.Parallel()
	plan := filepath.Join(t.TempDir(), "plan.txt")
	if err := os.WriteFile(plan, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		job  string
		env  []string
		want []string
	}{
		{"typo", "deploy", []string{"JENKINS_PARAMETERS", "VERSON=1"}, []string{"input parameters", "VERSON is not a parameter of deploy; did you mean VERSION?", "it takes VERSION, TARGET, DRY_RUN"}},
		{"bad choice", "deploy", []string{"JENKINS_PARAMETERS", "TARGET=prod"}, []string{`"prod" is not a choice of TARGET (choices: staging, production)`}},
		{"bad boolean", "deploy", []string{"JENKINS_PARAMETERS", "DRY_RUN=yes"}, []string{"DRY_RUN is a boolean parameter"}},
		{"all at once", "deploy", []string{"JENKINS_PARAMETERS", "VERSON=1\nTARGET=prod\nPLAN=x"}, []string{"VERSON", `"prod"`, "PLAN is a file parameter"}},
		{"file in files that is not a file", "deploy", []string{"JENKINS_FILES", "VERSION=" + plan}, []string{"input files", "VERSION is not a file parameter"}},
		{"unknown file", "deploy", []string{"JENKINS_FILES", "PLNA=" + plan}, []string{"input files", "did you mean PLAN?"}},
		{"job takes none", "plain", []string{"JENKINS_PARAMETERS", "A=1"}, []string{"plain takes no parameters"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Params: deployParams})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "plain"})
				h.set("JENKINS_JOB", tt.job).set(tt.env...)
				h.runWant(ExitBadInput)
				got := strings.TrimSpace(h.stderr.String())
				for _, w := range tt.want {
					if !strings.Contains(got, w) {
						t.Errorf("stderr %q lacks %q", got, w)
					}
				}
				if strings.Contains(got, "\n") {
					t.Errorf("more than one line: %q", got)
				}
				for _, r := range h.srv.Requests() {
					if r.Method != "GET" {
						t.Errorf("sent %s %s", r.Method, r.Path)
					}
				}
			})
		})
	}
}

func TestBuildTokenWithoutReadGoesThroughBuildByToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "team/deploy", BuildToken: secretBuildToken, Params: deployParams, Script: script("SUCCESS", 5*time.Second, 2)})
		h.set("JENKINS_JOB", "team/deploy", "JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_BUILD_TOKEN", secretBuildToken,
			"JENKINS_PARAMETERS", "VERSION=2", "JENKINS_WAIT_FOR", "queue")
		h.runWant(ExitOK)
		if !strings.Contains(h.stderr.String(), "are not checked") {
			t.Errorf("no warning:\n%s", h.stderr.String())
		}
		time.Sleep(time.Minute) // past the quiet period: the item becomes a build
		if b := h.srv.Builds("team/deploy"); len(b) != 1 || b[0].Params["VERSION"] != "2" {
			t.Errorf("builds = %+v", b)
		}
		var viaRoot bool
		for _, r := range h.srv.Requests() {
			viaRoot = viaRoot || strings.HasSuffix(r.Path, "/buildByToken/buildWithParameters")
		}
		if !viaRoot {
			t.Errorf("trigger did not use /buildByToken/: %+v", h.srv.Requests())
		}
		h.assertNoSecrets()
	})
}

func TestParameterizedJobWithoutParametersGetsDefaults(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", Params: deployParams, Script: script("SUCCESS", 5*time.Second, 2)})
		h.set("JENKINS_JOB", "deploy")
		h.runWant(ExitOK)
		if b := h.srv.Builds("deploy"); len(b) != 1 || b[0].Params["VERSION"] != "latest" || b[0].Params["TARGET"] != "staging" {
			t.Errorf("builds = %+v", b)
		}
	})
}

func TestBuildTokenWithoutReadCannotFollow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "deploy", BuildToken: secretBuildToken, Script: script("SUCCESS", 5*time.Second, 2)})
		h.set("JENKINS_JOB", "deploy", "JENKINS_USER", "", "JENKINS_TOKEN", "", "JENKINS_BUILD_TOKEN", secretBuildToken)
		h.runWant(ExitJenkins)
		if got := h.stderr.String(); !strings.Contains(got, "queued as item 1, but this caller may not read") {
			t.Errorf("stderr = %q", got)
		}
		if got := h.outputs()["JENKINS_QUEUE_URL"]; got == "" {
			t.Error("queue_url not reported")
		}
		h.assertNoSecrets()
	})
}
