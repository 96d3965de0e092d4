package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// archiving is a build that archives arts; it ends with result.
func archiving(result string, arts ...jenkinstest.Artifact) func(map[string]string) jenkinstest.Script {
	return func(map[string]string) jenkinstest.Script {
		s := script(result, 10*time.Second, 2)(nil)
		s.Artifacts = arts
		return s
	}
}

var (
	apk      = jenkinstest.Artifact{RelativePath: "app/build/outputs/app-release.apk", Size: 3<<20 + 17}
	junitXML = jenkinstest.Artifact{RelativePath: "reports/junit/TEST-a b;c.xml", Content: []byte("<testsuite/>\n")}
	notes    = jenkinstest.Artifact{RelativePath: "NOTES.txt", Content: []byte("release notes ✓\n")}
)

// assertArrived checks that each artifact is under dir, byte for byte.
func assertArrived(t *testing.T, dir string, arts ...jenkinstest.Artifact) {
	t.Helper()
	for _, a := range arts {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(a.RelativePath)))
		if err != nil {
			t.Errorf("%s: %v", a.RelativePath, err)
			continue
		}
		if !bytes.Equal(got, a.Bytes()) {
			t.Errorf("%s: %d bytes arrived, not the %d archived", a.RelativePath, len(got), a.Len())
		}
	}
}

func TestArtifactsArrive(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, result, patterns string
		want                   int
		got, not               []jenkinstest.Artifact
	}{
		{"comma separated", "SUCCESS", "**/*.apk, reports/**", ExitOK, []jenkinstest.Artifact{apk, junitXML}, []jenkinstest.Artifact{notes}},
		{"lines", "SUCCESS", "*.txt\n**/*.xml\n", ExitOK, []jenkinstest.Artifact{notes, junitXML}, []jenkinstest.Artifact{apk}},
		{"a failed build's too", "FAILURE", "**", ExitFailure, []jenkinstest.Artifact{apk, junitXML, notes}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Script: archiving(tt.result, apk, junitXML, notes)})
				dir := filepath.Join(h.dir, "out")
				summary := filepath.Join(h.dir, "summary.md")
				h.set("JENKINS_JOB", "app", "JENKINS_ARTIFACTS", tt.patterns, "JENKINS_ARTIFACTS_DIR", dir,
					"GITHUB_ACTIONS", "true", "GITHUB_STEP_SUMMARY", summary)
				h.runWant(tt.want)
				assertArrived(t, dir, tt.got...)
				for _, a := range tt.not {
					if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(a.RelativePath))); err == nil {
						t.Errorf("%s arrived, but no pattern matches it", a.RelativePath)
					}
				}
				md, _ := os.ReadFile(summary)
				for _, a := range tt.got {
					if !strings.Contains(string(md), filepath.Base(a.RelativePath)) && !strings.Contains(string(md), strings.ReplaceAll(filepath.Base(a.RelativePath), "_", `\_`)) {
						t.Errorf("the summary does not list %s:\n%s", a.RelativePath, md)
					}
				}
				h.assertNoSecrets()
			})
		})
	}
}

func TestArtifactPatternMatchingNothingWarns(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Script: archiving("SUCCESS", notes)})
		dir := filepath.Join(h.dir, "out")
		h.set("JENKINS_JOB", "app", "JENKINS_ARTIFACTS", "*.txt, dist/*.zip", "JENKINS_ARTIFACTS_DIR", dir)
		h.runWant(ExitOK)
		if !strings.Contains(h.stderr.String(), "dist/*.zip") {
			t.Errorf("no warning names the pattern that matched nothing:\n%s", h.stderr.String())
		}
		assertArrived(t, dir, notes)
	})
}

func TestHostileArtifactWritesNothingOutside(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"../escape.txt", `a\..\..\escape.txt`, "/etc/escape.txt", "a//escape.txt"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, jenkinstest.Options{})
				evil := jenkinstest.Artifact{RelativePath: name, Content: []byte("pwned\n")}
				h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Script: archiving("SUCCESS", evil, notes)})
				dir := filepath.Join(h.dir, "deep", "out")
				h.set("JENKINS_JOB", "app", "JENKINS_ARTIFACTS", "**", "JENKINS_ARTIFACTS_DIR", dir)
				h.runWant(ExitJenkins)
				lines := strings.Split(strings.TrimSpace(h.stderr.String()), "\n")
				if last := lines[len(lines)-1]; !strings.HasPrefix(last, "error: ") || !strings.Contains(last, "escape.txt") {
					t.Errorf("the error line does not name %q:\n%s", name, h.stderr.String())
				}
				filepath.WalkDir(h.dir, func(path string, d os.DirEntry, err error) error {
					if err != nil || d.IsDir() || strings.HasPrefix(path, dir+string(filepath.Separator)) {
						return nil
					}
					if data, _ := os.ReadFile(path); bytes.Contains(data, []byte("pwned")) {
						t.Errorf("%s was written outside %s", path, dir)
					}
					return nil
				})
				if _, err := os.Stat("/etc/escape.txt"); err == nil {
					t.Error("/etc/escape.txt was written")
				}
				assertArrived(t, dir, notes)
			})
		})
	}
}

func TestArtifactRedirectsGetNoCredentials(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{jenkinstest.ArtifactRedirectObjectStore, jenkinstest.ArtifactRedirectResourceDomain} {
		for _, user := range []string{"alice", "bob"} { // API token; password with crumb and session
			t.Run(mode+"/"+user, func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					h := newHarness(t, jenkinstest.Options{ArtifactRedirect: mode})
					h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Script: archiving("SUCCESS", apk)})
					dir := filepath.Join(h.dir, "out")
					h.set("JENKINS_JOB", "app", "JENKINS_ARTIFACTS", "**/*.apk", "JENKINS_ARTIFACTS_DIR", dir, "JENKINS_USER", user)
					if user == "bob" {
						h.set("JENKINS_TOKEN", secretPassword)
					}
					h.runWant(ExitOK)
					assertArrived(t, dir, apk)
					foreign := 0
					for _, d := range h.srv.ArtifactDownloads("app", 1, apk.RelativePath) {
						if d.Origin == "jenkins" {
							continue
						}
						foreign++
						if d.Authorization || d.Cookie {
							t.Errorf("credentials went to %s: %+v", d.Origin, d)
						}
					}
					if foreign == 0 {
						t.Error("the file did not come from the other origin")
					}
					h.assertNoSecrets()
				})
			})
		}
	}
}

func TestBrokenArtifactTransferIsCompleted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		broken := apk
		broken.BreakAt = 1 << 20
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Script: archiving("SUCCESS", broken)})
		dir := filepath.Join(h.dir, "out")
		h.set("JENKINS_JOB", "app", "JENKINS_ARTIFACTS", "**/*.apk", "JENKINS_ARTIFACTS_DIR", dir)
		h.runWant(ExitOK)
		assertArrived(t, dir, apk)
		downloads := h.srv.ArtifactDownloads("app", 1, apk.RelativePath)
		if len(downloads) != 2 || downloads[1].Range != "bytes=1048576-" || downloads[1].Status != 206 {
			t.Errorf("downloads %+v, want a broken one and a resumed one", downloads)
		}
	})
}

func TestNoArtifactsBeforeCompletion(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, jenkinstest.Options{})
		h.srv.AddJob(jenkinstest.JobSpec{FullName: "app", Script: archiving("SUCCESS", notes)})
		dir := filepath.Join(h.dir, "out")
		h.set("JENKINS_JOB", "app", "JENKINS_ARTIFACTS", "**", "JENKINS_ARTIFACTS_DIR", dir, "JENKINS_WAIT_FOR", "start")
		h.runWant(ExitOK)
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s exists after wait_for: start", dir)
		}
		for _, r := range h.srv.Requests() {
			if strings.Contains(r.RawQuery, "artifacts") || strings.Contains(r.Path, "/artifact/") {
				t.Errorf("asked for artifacts: %s?%s", r.Path, r.RawQuery)
			}
		}
	})
}

// TestTwoBuildsOfOneJobKeepTheirArtifacts: followed together, two builds of
// one job each bring their artifacts below their number, and a single
// build of another job keeps its own place.
func TestTwoBuildsOfOneJobKeepTheirArtifacts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h0 := newHarness(t, jenkinstest.Options{})
		params := []jenkinstest.ParamDef{{Name: "V", Type: "string"}}
		versioned := func(job string) func(map[string]string) jenkinstest.Script {
			return func(p map[string]string) jenkinstest.Script {
				s := script("SUCCESS", 10*time.Second, 2)(p)
				s.Artifacts = []jenkinstest.Artifact{{RelativePath: "dist/app.txt", Content: []byte(job + " " + p["V"] + "\n")}}
				return s
			}
		}
		h0.srv.AddJob(jenkinstest.JobSpec{FullName: "team/app", Params: params, Script: versioned("team/app")})
		h0.srv.AddJob(jenkinstest.JobSpec{FullName: "lib", Params: params, Script: versioned("lib")})
		var follow []string
		for _, b := range []struct{ job, v string }{{"team/app", "1"}, {"team/app", "2"}, {"lib", "3"}} {
			h := h0.again()
			h.set("JENKINS_JOB", b.job, "JENKINS_PARAMETERS", "V="+b.v)
			h.runWant(ExitOK)
			follow = append(follow, h.outputs()["JENKINS_BUILD_URL"])
		}
		h := h0.again()
		dir := filepath.Join(h.dir, "out")
		h.set("JENKINS_FOLLOW", strings.Join(follow, "\n"), "JENKINS_ARTIFACTS", "**", "JENKINS_ARTIFACTS_DIR", dir)
		h.runWant(ExitOK)
		for path, want := range map[string]string{"team/app/1/dist/app.txt": "team/app 1\n", "team/app/2/dist/app.txt": "team/app 2\n", "lib/dist/app.txt": "lib 3\n"} {
			if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path))); err != nil || string(got) != want {
				t.Errorf("%s holds %q (%v), want %q", path, got, err, want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "team", "app", "dist")); err == nil {
			t.Error("team/app/dist exists: a build's artifacts went to the job's place")
		}
	})
}

// TestArtifactWrittenTwiceIsAnError: two jobs whose names differ only in
// their Unicode normalization, which a macOS runner's file system takes for
// one directory, archive the same file: one build writes it, the other is
// refused, naming both builds, and the step exits 6 as for artifacts that
// could not be downloaded.
func TestArtifactWrittenTwiceIsAnError(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const nfc, nfd = "caf\u00e9", "cafe\u0301"
		h := newHarness(t, jenkinstest.Options{})
		for _, job := range []string{nfc, nfd} {
			h.srv.AddJob(jenkinstest.JobSpec{FullName: job, Script: archiving("SUCCESS", jenkinstest.Artifact{RelativePath: "x.txt", Content: []byte(job + "\n")})})
		}
		dir := filepath.Join(h.dir, "out")
		h.set("JENKINS_JOB", nfc+"\n"+nfd, "JENKINS_ARTIFACTS", "**", "JENKINS_ARTIFACTS_DIR", dir)
		h.runWant(ExitJenkins)
		stderr := h.stderr.String()
		wantFor := func(refused, holder string) string {
			return "download the artifacts of " + refused + ` #1: refused 1 artifact(s), nothing written for them: "x.txt" (it would overwrite ` + holder + ` #1's "x.txt")`
		}
		if !strings.Contains(stderr, wantFor(nfd, nfc)) && !strings.Contains(stderr, wantFor(nfc, nfd)) {
			t.Errorf("no error names both builds:\n%s", stderr)
		}
		if on := strings.Count(strings.Join(filesBelow(t, dir), "\n"), "x.txt"); on != 1 {
			t.Errorf("x.txt written %d times below %s", on, dir)
		}
	})
}

// filesBelow lists the files below dir.
func filesBelow(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}
