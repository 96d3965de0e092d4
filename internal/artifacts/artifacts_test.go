package artifacts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

var job = jenkins.Job{Path: "/job/team/job/app/", Name: "team/app"}

// fakeJenkins serves build 1 of job with the given artifacts under the
// context path /jenkins. A listed path missing from files is listed only.
type fakeJenkins struct {
	list      []string
	files     map[string][]byte
	downloads atomic.Int32
	// serve, when set, answers a download in place of the plain file.
	serve func(w http.ResponseWriter, r *http.Request, data []byte)
}

func (f *fakeJenkins) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	build := "/jenkins" + job.Path + "1/"
	if strings.ContainsRune(r.RequestURI, ';') {
		http.Error(w, "Semicolons are not allowed in the request URI", http.StatusBadRequest)
		return
	}
	switch {
	case r.URL.Path == build+"api/json":
		type artifact struct {
			RelativePath string `json:"relativePath"`
			FileName     string `json:"fileName"`
		}
		var b struct {
			Artifacts []artifact `json:"artifacts"`
		}
		for _, p := range f.list {
			b.Artifacts = append(b.Artifacts, artifact{RelativePath: p, FileName: p[strings.LastIndex(p, "/")+1:]})
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		json.NewEncoder(w).Encode(b)
	case strings.HasPrefix(r.URL.EscapedPath(), build+"artifact/"):
		f.downloads.Add(1)
		segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), build+"artifact/"), "/")
		for i, s := range segs {
			segs[i], _ = url.PathUnescape(s)
		}
		data, ok := f.files[strings.Join(segs, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if f.serve != nil {
			f.serve(w, r, data)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	default:
		http.NotFound(w, r)
	}
}

// archive is build 1 of job through the Jenkins client, as the flow hands
// a build's archive to Fetch.
type archive struct{ c *jenkins.Client }

func (a archive) List(ctx context.Context) ([]string, error) { return a.c.Artifacts(ctx, job, 1) }

func (a archive) Download(ctx context.Context, rel string, w Writer) (int64, error) {
	return a.c.DownloadArtifact(ctx, job, 1, rel, 0, w)
}

func (a archive) URL(rel string) string { return a.c.URL(jenkins.ArtifactPath(job, 1, rel)) }

func newClient(t *testing.T, h http.Handler) archive {
	t.Helper()
	return newClientOn(t, &memnet.Network{}, h)
}

// newClientOn is newClient on n, where other servers of the test listen.
func newClientOn(t *testing.T, n *memnet.Network, h http.Handler) archive {
	t.Helper()
	ts := n.NewServer(h)
	t.Cleanup(ts.Close)
	t.Cleanup(ts.Client().CloseIdleConnections)
	base, _ := url.Parse(ts.URL + "/jenkins")
	return archive{jenkins.New(base, ts.Client(), jenkins.Options{
		User: "alice", Token: "s3cret-token",
		RequestTimeout: 5 * time.Second,
		RetryBudget:    2 * time.Second,
	})}
}

// tree lists the files below dir, '/'-separated.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func TestFetch(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		files := map[string][]byte{
			"dist/app.zip":         bytes.Repeat([]byte("zip"), 100000),
			"dist/sub/nested.zip":  []byte("nested"),
			"reports/a.xml":        []byte("<a/>"),
			"reports/deep/b.xml":   []byte("<b/>"),
			"build.log":            []byte("log"),
			"odd;name [1] {x}.txt": []byte("semicolon"),
		}
		f := &fakeJenkins{files: files}
		for p := range files {
			f.list = append(f.list, p)
		}
		slices.Sort(f.list)
		c := newClient(t, f)
		dir := filepath.Join(t.TempDir(), "out")
		patterns, err := ParsePatterns(" dist/*.zip,reports/\n odd;name [1] {x}.txt ,\n nothing/*.bin ,")
		if err != nil {
			t.Fatal(err)
		}
		var heard []build.Artifact
		got, unmatched, err := Fetch(context.Background(), c, Options{Patterns: patterns, Dir: dir, OnFile: func(a build.Artifact) { heard = append(heard, a) }})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"dist/app.zip", "odd;name [1] {x}.txt", "reports/a.xml", "reports/deep/b.xml"}
		if on := tree(t, dir); !slices.Equal(on, want) {
			t.Errorf("on disk: %q, want %q", on, want)
		}
		for _, p := range want {
			if data, _ := os.ReadFile(filepath.Join(dir, p)); !bytes.Equal(data, files[p]) {
				t.Errorf("%s differs from Jenkins' copy", p)
			}
		}
		if !slices.Equal(unmatched, []string{"nothing/*.bin"}) {
			t.Errorf("unmatched = %q", unmatched)
		}
		if !slices.Equal(got, heard) || len(got) != len(want) {
			t.Fatalf("returned %v, heard %v", got, heard)
		}
		d := got[0]
		if d.Path != "dist/app.zip" || d.Size != 300000 || d.URL != c.c.URL("/job/team/job/app/1/artifact/dist/app.zip") {
			t.Errorf("first file: %+v", d)
		}
	})
}

// TestFetchResumesThroughRedirects: a transfer broken midway at a storage
// server on another port, which refuses credentials, still completes.
func TestFetchResumesThroughRedirects(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10)
		var broke atomic.Bool
		n := &memnet.Network{}
		store := n.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
				http.Error(w, "credentials sent to another origin", http.StatusBadRequest)
				return
			}
			if !broke.Swap(true) {
				w.Header().Set("Content-Length", fmt.Sprint(len(data)))
				w.Write(data[:len(data)/2])
				w.(http.Flusher).Flush()
				conn, _, _ := http.NewResponseController(w).Hijack()
				conn.Close()
				return
			}
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
		}))
		t.Cleanup(store.Close)
		f := &fakeJenkins{list: []string{"big.bin"}, files: map[string][]byte{"big.bin": data},
			serve: func(w http.ResponseWriter, r *http.Request, _ []byte) {
				http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "node0session0123456789"})
				http.Redirect(w, r, store.URL+"/bucket/big.bin?X-Amz-Signature=abc", http.StatusFound)
			}}
		c := newClientOn(t, n, f)
		dir := t.TempDir()
		got, _, err := Fetch(context.Background(), c, Options{Patterns: []string{"*.bin"}, Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if data2, _ := os.ReadFile(filepath.Join(dir, "big.bin")); !bytes.Equal(data2, data) || len(got) != 1 || got[0].Size != int64(len(data)) {
			t.Fatalf("big.bin did not arrive whole: %v", got)
		}
		if f.downloads.Load() != 2 {
			t.Errorf("asked Jenkins %d times, want 2 (once per attempt)", f.downloads.Load())
		}
	})
}

// TestFetchHostileNames: unsafe paths write nothing, inside the directory
// or out of it, and fail naming each; the safe ones still arrive.
func TestFetchHostileNames(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		hostile := []string{"../x", "a/../../x", "/etc/passwd", `C:\x`, `a\..\x`, "a//b", "./y", "bad\x00nul", "tab\tname", "D:/z", "A.txt", "a.txt"}
		files := map[string][]byte{"ok/fine.txt": []byte("fine")}
		for _, h := range hostile {
			files[h] = []byte("evil")
		}
		f := &fakeJenkins{list: append([]string{"ok/fine.txt"}, hostile...), files: files}
		c := newClient(t, f)
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		got, _, err := Fetch(context.Background(), c, Options{Patterns: []string{"**", "/**", "../**", "./**"}, Dir: dir})
		if err == nil {
			t.Fatal("no error for hostile names")
		}
		for _, h := range hostile {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", h)) {
				t.Errorf("error does not name %q: %v", h, err)
			}
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("error is not one line: %q", err)
		}
		if len(got) != 1 || tree(t, parent)[0] != "out/ok/fine.txt" || len(tree(t, parent)) != 1 {
			t.Errorf("returned %v; below the parent: %q", got, tree(t, parent))
		}
		if n := f.downloads.Load(); n != 1 {
			t.Errorf("%d downloads, want only the safe one", n)
		}
	})
}

// TestFetchFailureLeavesNothing: a download that fails for good leaves no
// file under its name and no temporary file, and the error names it.
func TestFetchFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		data := []byte(strings.Repeat("x", 10000))
		f := &fakeJenkins{list: []string{"dist/app.bin"}, files: map[string][]byte{"dist/app.bin": data},
			serve: func(w http.ResponseWriter, r *http.Request, data []byte) {
				w.Header().Set("Content-Length", fmt.Sprint(len(data)))
				w.Write(data[:100])
				w.(http.Flusher).Flush()
				conn, _, _ := http.NewResponseController(w).Hijack()
				conn.Close()
			}}
		c := newClient(t, f)
		dir := t.TempDir()
		_, _, err := Fetch(context.Background(), c, Options{Patterns: []string{"dist/"}, Dir: dir})
		if err == nil || !strings.Contains(err.Error(), "dist/app.bin") || !strings.Contains(err.Error(), "unexpected EOF") {
			t.Fatalf("err = %v, want one naming dist/app.bin and why", err)
		}
		if on := tree(t, dir); len(on) != 0 {
			t.Errorf("left behind: %q", on)
		}
		if strings.Contains(err.Error(), "s3cret-token") {
			t.Errorf("error carries the token: %v", err)
		}
	})
}

func TestFetchNothingMatched(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := &fakeJenkins{list: []string{"a.txt"}, files: map[string][]byte{"a.txt": nil}}
		dir := filepath.Join(t.TempDir(), "out")
		got, unmatched, err := Fetch(context.Background(), newClient(t, f), Options{Patterns: []string{"*.zip", "*.jar"}, Dir: dir})
		if err != nil || len(got) != 0 || !slices.Equal(unmatched, []string{"*.zip", "*.jar"}) {
			t.Fatalf("got %v, unmatched %q, err %v", got, unmatched, err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("the directory was made for nothing: %v", err)
		}
	})
}

func TestParsePatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"dist/*.zip", []string{"dist/*.zip"}, ""},
		{" a/** , b/*.xml\n\n c/\r\n", []string{"a/**", "b/*.xml", "c/"}, ""},
		{" , \n ", nil, ""},
		{"a\x01b", nil, "control character"},
	}
	for _, tt := range tests {
		got, err := ParsePatterns(tt.in)
		if !slices.Equal(got, tt.want) || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParsePatterns(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestChoose follows Ant, as archiveArtifacts does.
func TestChoose(t *testing.T) {
	t.Parallel()
	paths := []string{"a.xml", "dist/app.zip", "dist/sub/lib.zip", "reports/x.xml", "reports/deep/y.xml", "reports2/z.xml", "f[1].txt", "f1.txt", "{a,b}.txt"}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"dist/*.zip", []string{"dist/app.zip"}},
		{"dist/**/*.zip", []string{"dist/app.zip", "dist/sub/lib.zip"}},
		{"**/*.xml", []string{"a.xml", "reports/x.xml", "reports/deep/y.xml", "reports2/z.xml"}},
		{"*.xml", []string{"a.xml"}},
		{"reports/**", []string{"reports/x.xml", "reports/deep/y.xml"}},
		{"reports/", []string{"reports/x.xml", "reports/deep/y.xml"}},
		{`reports\`, []string{"reports/x.xml", "reports/deep/y.xml"}},
		{`reports\*.xml`, []string{"reports/x.xml"}},
		{"reports", nil},
		{"f[1].txt", []string{"f[1].txt"}},
		{"{a,b}.txt", []string{"{a,b}.txt"}},
		{"f?.txt", []string{"f1.txt"}},
		{"**", paths},
	}
	for _, tt := range tests {
		got, unmatched, err := choose([]string{tt.pattern}, paths)
		if err != nil || !slices.Equal(got, tt.want) || (len(tt.want) == 0) != (len(unmatched) == 1) {
			t.Errorf("%q chose %q (unmatched %q, %v), want %q", tt.pattern, got, unmatched, err, tt.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for rel, want := range map[string]string{
		"dist/app.zip": "its path is fine",
		"a b/-c.txt":   "its path is fine",
		"naïve/ü.txt":  "its path is fine",
		"":             "empty",
		"../x":         `".."`,
		"a/../../x":    `".."`,
		"a/./b":        `"."`,
		"/etc/passwd":  "absolute",
		`C:\x`:         "backslash",
		`a\..\x`:       "backslash",
		"C:/x":         "drive",
		"a//b":         "empty segment",
		"a/":           "empty segment",
		"a\x00b":       "control",
		"a\nb":         "control",
		"\xff":         "UTF-8",
	} {
		local, err := localPath(rel)
		if want == "its path is fine" {
			if err != nil || local != filepath.FromSlash(rel) {
				t.Errorf("localPath(%q) = %q, %v", rel, local, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("localPath(%q) = %q, %v; want an error with %q", rel, local, err, want)
		}
	}
}
