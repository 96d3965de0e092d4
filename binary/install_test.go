// Package binary tests install.sh, the binary action's download-and-verify
// script, against fake release assets served on loopback.
package binary

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// mount is the path the fake releases are served under, standing for
// https://github.com/<owner>/<repo>/releases/download.
const mount = "/mirror/releases/download"

// release is a fake GitHub release: its assets and SHA256SUMS, as GoReleaser
// names them (.goreleaser.yaml).
type release struct {
	tag    string
	assets map[string][]byte
	sums   string // SHA256SUMS; computed from assets when empty

	mu       sync.Mutex
	requests []string
}

var targets = []struct{ os, arch, goos, goarch string }{
	{"Linux", "X64", "linux", "amd64"},
	{"Linux", "ARM64", "linux", "arm64"},
	{"macOS", "X64", "darwin", "amd64"},
	{"macOS", "ARM64", "darwin", "arm64"},
	{"Windows", "X64", "windows", "amd64"},
	{"Windows", "ARM64", "windows", "arm64"},
}

func assetName(goos, goarch string) string {
	name := "jenkins-trigger_" + goos + "_" + goarch
	if goos == "windows" {
		name += ".exe"
	}
	return name
}

func newRelease(tag string) *release {
	r := &release{tag: tag, assets: map[string][]byte{}}
	for _, tg := range targets {
		name := assetName(tg.goos, tg.goarch)
		r.assets[name] = []byte("#!/bin/sh\necho fake " + name + "\n")
	}
	return r
}

func sumsOf(assets map[string][]byte) string {
	var b strings.Builder
	names := make([]string, 0, len(assets))
	for name := range assets {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		sum := sha256.Sum256(assets[name])
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return b.String()
}

func (r *release) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests = append(r.requests, req.URL.Path)
	r.mu.Unlock()
	name, ok := strings.CutPrefix(req.URL.Path, mount+"/"+r.tag+"/")
	switch {
	case !ok:
		http.NotFound(w, req)
	case name == "SHA256SUMS":
		sums := r.sums
		if sums == "" {
			sums = sumsOf(r.assets)
		}
		fmt.Fprint(w, sums)
	case r.assets[name] != nil:
		w.Write(r.assets[name])
	default:
		http.NotFound(w, req)
	}
}

func (r *release) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

func (r *release) serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + mount
}

// actionImage is the release the repository's action.yml runs, which the
// script installs unless told otherwise: the tag and owner/name.
func actionImage(t *testing.T) (tag, repo string) {
	t.Helper()
	data, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*image:\s*docker://ghcr\.io/(\S+):(\S+)\s*$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("action.yml has no image: docker://ghcr.io/<owner>/<name>:<tag> line")
	}
	return string(m[2]), string(m[1])
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: install.sh cannot be run here", tool)
		}
	}
}

// install runs install.sh with only the given environment (and PATH, unless
// given), so the machine's own RUNNER_*, GITHUB_ACTIONS or proxy settings
// play no part.
func install(t *testing.T, env map[string]string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "install.sh")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func TestInstallPicksTheRunnersAsset(t *testing.T) {
	t.Parallel()
	needTools(t, "bash", "curl")
	tag, _ := actionImage(t)
	for _, tg := range targets {
		t.Run(tg.os+"/"+tg.arch, func(t *testing.T) {
			t.Parallel()
			rel := newRelease(tag)
			base := rel.serve(t)
			cache := t.TempDir()
			env := map[string]string{
				"RUNNER_OS": tg.os, "RUNNER_ARCH": tg.arch, "RUNNER_TOOL_CACHE": cache,
				"JENKINS_TRIGGER_DOWNLOAD_URL": base,
			}
			asset := assetName(tg.goos, tg.goarch)
			bin := "jenkins-trigger"
			if tg.goos == "windows" {
				bin += ".exe"
			}
			want := filepath.Join(cache, "jenkins-trigger", strings.TrimPrefix(tag, "v"), strings.ToLower(tg.arch), bin)

			stdout, stderr, err := install(t, env)
			if err != nil {
				t.Fatalf("install: %v\n%s", err, stderr)
			}
			if got := strings.TrimSpace(stdout); got != want {
				t.Errorf("printed %q, want %q", got, want)
			}
			content, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(content, rel.assets[asset]) {
				t.Errorf("installed %q, want the asset %s", content, asset)
			}
			if fi, err := os.Stat(want); err != nil || fi.Mode()&0o100 == 0 {
				t.Errorf("installed binary is not executable: %v %v", fi, err)
			}
			wantReqs := []string{mount + "/" + tag + "/SHA256SUMS", mount + "/" + tag + "/" + asset}
			if got := rel.seen(); !slices.Equal(got, wantReqs) {
				t.Errorf("requests %q, want %q", got, wantReqs)
			}

			// The second run finds it in the tool cache and asks for nothing.
			stdout, stderr, err = install(t, env)
			if err != nil {
				t.Fatalf("second install: %v\n%s", err, stderr)
			}
			if got := strings.TrimSpace(stdout); got != want {
				t.Errorf("second run printed %q, want %q", got, want)
			}
			if !strings.Contains(stderr, "from the tool cache") {
				t.Errorf("second run did not say it used the tool cache: %q", stderr)
			}
			if got := rel.seen(); len(got) != len(wantReqs) {
				t.Errorf("second run made requests: %q", got[len(wantReqs):])
			}
		})
	}
}

func TestInstallRefuses(t *testing.T) {
	t.Parallel()
	needTools(t, "bash", "curl")
	tag, _ := actionImage(t)
	const linux = "jenkins-trigger_linux_amd64"
	tests := []struct {
		name    string
		env     map[string]string
		breakIt func(*release)
		want    string
	}{
		{
			name: "a wrong checksum",
			breakIt: func(r *release) {
				r.sums = strings.Replace(sumsOf(r.assets), linux+"\n", "x\n", 1) +
					strings.Repeat("0", 64) + "  " + linux + "\n"
			},
			want: "checksum mismatch for " + linux,
		},
		{
			name:    "an asset that was changed after its sum",
			breakIt: func(r *release) { r.sums = sumsOf(r.assets); r.assets[linux] = []byte("tampered") },
			want:    "checksum mismatch for " + linux,
		},
		{
			name:    "an asset SHA256SUMS does not list",
			breakIt: func(r *release) { r.sums = strings.Replace(sumsOf(r.assets), linux+"\n", "other\n", 1) },
			want:    "SHA256SUMS of " + tag + " has no line for " + linux,
		},
		{
			name:    "an asset the release lacks",
			breakIt: func(r *release) { delete(r.assets, linux) },
			want:    "could not download",
		},
		{
			name: "a release that does not exist",
			env:  map[string]string{"JENKINS_TRIGGER_VERSION": "v0.0.0-missing"},
			want: "could not download",
		},
		{
			name: "a 32-bit runner",
			env:  map[string]string{"RUNNER_ARCH": "X86"},
			want: `no release binary for runner architecture "X86"`,
		},
		{
			name: "an unknown OS",
			env:  map[string]string{"RUNNER_OS": "Plan9"},
			want: `no release binary for runner OS "Plan9"`,
		},
		{
			name: "a version that is not a tag",
			env:  map[string]string{"JENKINS_TRIGGER_VERSION": "../v1"},
			want: "is not a release tag",
		},
		{
			name: "a wrong checksum, on GitHub",
			env:  map[string]string{"GITHUB_ACTIONS": "true"},
			breakIt: func(r *release) {
				r.sums = strings.Replace(sumsOf(r.assets), linux+"\n", "x\n", 1) +
					strings.Repeat("a", 64) + "  " + linux + "\n"
			},
			want: "::error title=jenkins-trigger install::checksum mismatch",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rel := newRelease(tag)
			if tc.breakIt != nil {
				tc.breakIt(rel)
			}
			cache := t.TempDir()
			env := map[string]string{
				"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TOOL_CACHE": cache,
				"JENKINS_TRIGGER_DOWNLOAD_URL": rel.serve(t),
			}
			for k, v := range tc.env {
				env[k] = v
			}
			stdout, stderr, err := install(t, env)
			if err == nil {
				t.Fatalf("install succeeded, printing %q; want it to stop with %q", stdout, tc.want)
			}
			if stdout != "" {
				t.Errorf("printed a path although it failed: %q", stdout)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want it to say %q", stderr, tc.want)
			}
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); !strings.Contains(lines[len(lines)-1], tc.want) {
				t.Errorf("the last line %q is not the reason %q", lines[len(lines)-1], tc.want)
			}
			// Nothing unverified is left where a later run would take it.
			matches, _ := filepath.Glob(filepath.Join(cache, "jenkins-trigger", "*", "*", "jenkins-trigger*"))
			complete, _ := filepath.Glob(filepath.Join(cache, "jenkins-trigger", "*", "*.complete"))
			if len(matches)+len(complete) != 0 {
				t.Errorf("left in the tool cache: %q %q", matches, complete)
			}
		})
	}
}

// A cached binary that no longer matches its sum is downloaded again.
func TestInstallReplacesACorruptedCache(t *testing.T) {
	t.Parallel()
	needTools(t, "bash", "curl")
	tag, _ := actionImage(t)
	rel := newRelease(tag)
	cache := t.TempDir()
	env := map[string]string{
		"RUNNER_OS": "Linux", "RUNNER_ARCH": "ARM64", "RUNNER_TOOL_CACHE": cache,
		"JENKINS_TRIGGER_DOWNLOAD_URL": rel.serve(t),
	}
	stdout, stderr, err := install(t, env)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, stderr)
	}
	bin := strings.TrimSpace(stdout)
	if err := os.WriteFile(bin, []byte("corrupted"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err = install(t, env); err != nil {
		t.Fatalf("second install: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "does not match its checksum any more") {
		t.Errorf("stderr %q does not say the cache was bad", stderr)
	}
	content, err := os.ReadFile(bin)
	if err != nil || !bytes.Equal(content, rel.assets["jenkins-trigger_linux_arm64"]) {
		t.Errorf("after the second run the binary is %q (%v), want the asset again", content, err)
	}
	if n := len(rel.seen()); n != 4 {
		t.Errorf("%d requests, want 4 (two downloads)", n)
	}
}

// JENKINS_TRIGGER_VERSION picks another release, cached under its own version.
func TestInstallVersionOverride(t *testing.T) {
	t.Parallel()
	needTools(t, "bash", "curl")
	rel := newRelease("v9.8.7")
	cache := t.TempDir()
	stdout, stderr, err := install(t, map[string]string{
		"RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64", "RUNNER_TOOL_CACHE": cache,
		"JENKINS_TRIGGER_DOWNLOAD_URL": rel.serve(t), "JENKINS_TRIGGER_VERSION": "v9.8.7",
	})
	if err != nil {
		t.Fatalf("install: %v\n%s", err, stderr)
	}
	if want := filepath.Join(cache, "jenkins-trigger", "9.8.7", "arm64", "jenkins-trigger"); strings.TrimSpace(stdout) != want {
		t.Errorf("printed %q, want %q", stdout, want)
	}
}

// Without a download URL, the assets come from the GitHub releases of the
// repository that publishes action.yml's image. Checked without the network:
// the URL curl is given is read from the failure it reports for an
// unreachable proxy.
func TestInstallDefaultsToTheImagesRepository(t *testing.T) {
	t.Parallel()
	needTools(t, "bash", "curl")
	tag, repo := actionImage(t)
	_, stderr, err := install(t, map[string]string{
		"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TOOL_CACHE": t.TempDir(),
		// A closed loopback port: the download fails at once, offline.
		"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
	})
	if err == nil {
		t.Fatal("install succeeded through a closed proxy")
	}
	want := "could not download https://github.com/" + repo + "/releases/download/" + tag + "/SHA256SUMS"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// Where curl is missing, wget downloads.
func TestInstallWithWget(t *testing.T) {
	t.Parallel()
	needTools(t, "bash", "wget")
	// A PATH with the tools the script uses, but no curl.
	binDir := t.TempDir()
	for _, tool := range []string{"bash", "dirname", "sed", "tr", "mkdir", "mktemp", "rm", "awk", "sha256sum", "cat", "chmod", "mv", "wget"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s is not installed", tool)
		}
		if err := os.Symlink(p, filepath.Join(binDir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	tag, _ := actionImage(t)
	rel := newRelease(tag)
	cache := t.TempDir()
	stdout, stderr, err := install(t, map[string]string{
		"PATH":      binDir,
		"RUNNER_OS": "Windows", "RUNNER_ARCH": "X64", "RUNNER_TOOL_CACHE": cache,
		"JENKINS_TRIGGER_DOWNLOAD_URL": rel.serve(t),
	})
	if err != nil {
		t.Fatalf("install: %v\n%s", err, stderr)
	}
	content, err := os.ReadFile(strings.TrimSpace(stdout))
	if err != nil || !bytes.Equal(content, rel.assets["jenkins-trigger_windows_amd64.exe"]) {
		t.Errorf("installed %q (%v), want the windows/amd64 asset", content, err)
	}
}
