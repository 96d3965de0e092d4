package benchmark

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/artifacts"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

const (
	artifactSize = 512 << 20
	artifactJob  = "/job/bench/"
	artifactName = "dist/big.bin"
)

// artifactBlock repeats to make the artifact: random, so that nothing on
// the way can compress it, and generated on the fly, never held whole.
var artifactBlock = func() []byte {
	b := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(7, 11))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// generated is the artifact as an io.ReadSeeker, for http.ServeContent.
type generated struct{ off int64 }

func (g *generated) Read(p []byte) (int, error) {
	if g.off >= artifactSize {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), artifactSize-g.off)]
	n := 0
	for n < len(p) {
		n += copy(p[n:], artifactBlock[(g.off+int64(n))%int64(len(artifactBlock)):])
	}
	g.off += int64(n)
	return n, nil
}

func (g *generated) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		g.off = off
	case io.SeekCurrent:
		g.off += off
	case io.SeekEnd:
		g.off = artifactSize + off
	}
	return g.off, nil
}

// artifactJenkins is the least of a Jenkins that a finished build with one
// large artifact needs, under the context path /jenkins: the build, its
// console, its artifact list and the artifact.
func artifactJenkins(tb testing.TB) *httptest.Server {
	build := "/jenkins" + artifactJob + "1/"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == build+"artifact/"+artifactName:
			http.ServeContent(w, r, "", time.Time{}, &generated{})
		case p == build+"api/json":
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			fmt.Fprintf(w, `{"number":1,"building":false,"inProgress":false,"result":"SUCCESS","duration":1000,"estimatedDuration":1000,"timestamp":%d,"queueId":5,"actions":[],"artifacts":[{"fileName":"big.bin","relativePath":%q}]}`,
				time.Now().Add(-time.Minute).UnixMilli(), artifactName)
		case p == "/jenkins"+artifactJob+"api/json":
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			io.WriteString(w, `{"buildable":true,"property":[],"builds":[{"number":1,"queueId":5,"timestamp":0,"actions":[]}]}`)
		case p == build+"logText/progressiveText":
			log := "Finished: SUCCESS\r\n"
			w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
			w.Header().Set("X-Text-Size", fmt.Sprint(len(log)))
			if r.URL.Query().Get("start") == "0" {
				io.WriteString(w, log)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	tb.Cleanup(ts.Close)
	return ts
}

// checkArtifact compares a downloaded file with the generated artifact.
func checkArtifact(tb testing.TB, path string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	want, got := make([]byte, 1<<20), make([]byte, 1<<20)
	g := &generated{}
	for off := int64(0); ; off += int64(len(got)) {
		n, err := io.ReadFull(f, got)
		g.Read(want[:n])
		if !bytes.Equal(got[:n], want[:n]) {
			tb.Fatalf("%s differs from the artifact near byte %d", path, off)
		}
		if err != nil {
			if st, _ := f.Stat(); st.Size() != artifactSize {
				tb.Fatalf("%s has %d bytes, want %d", path, st.Size(), artifactSize)
			}
			return
		}
	}
}

// BenchmarkArtifact512MiB downloads a 512 MiB artifact from a server on
// loopback: with curl, with artifacts.Fetch in this process, with Fetch in
// a child process (for its peak RSS), and with the jenkins-trigger binary
// following the finished build. Each download of the last three is paired
// with a curl download of the same file just before it, and x-curl is the
// ratio of their totals, so that the machine's drift (a shared CPU, disk
// writeback) touches both alike. The goals: peak RSS under 30 MiB, and no
// more than 1.5 times curl's time.
func BenchmarkArtifact512MiB(b *testing.B) {
	ts := artifactJenkins(b)
	base := ts.URL + "/jenkins"
	fileURL := base + artifactJob + "1/artifact/" + artifactName
	_, err := exec.LookPath("curl")
	haveCurl := err == nil

	// run times n downloads by download(dir), each after a curl one when
	// curl is there, and reports the figures.
	run := func(b *testing.B, download func(dir string) (rss int64)) {
		var rss int64
		var took, curlTook time.Duration
		b.SetBytes(artifactSize)
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			if haveCurl {
				curlTook += curlOnce(b, fileURL)
			}
			dir, err := os.MkdirTemp(b.TempDir(), "")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			rss = max(rss, download(dir))
			took += time.Since(start)
			b.StopTimer()
			checkArtifact(b, filepath.Join(dir, filepath.FromSlash(artifactName)))
			// Dropping the file before it is written back keeps the
			// disk out of the next run.
			os.RemoveAll(dir)
			b.StartTimer()
		}
		if haveCurl {
			ratio := float64(took) / float64(curlTook)
			b.ReportMetric(ratio, "x-curl")
			if ratio > 1.5 {
				b.Errorf("%.2f times curl's time, over the 1.5 bound", ratio)
			}
		}
		if rss > 0 {
			b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
			if rss >= 30<<20 {
				b.Errorf("peak RSS %.1f MiB, over the 30 MiB bound", float64(rss)/(1<<20))
			}
		}
	}

	b.Run("curl", func(b *testing.B) {
		if !haveCurl {
			b.Skip("curl is not installed")
		}
		haveCurl = false // no pairing with itself
		defer func() { haveCurl = true }()
		run(b, func(dir string) int64 {
			var out bytes.Buffer
			cmd := exec.Command("curl", "-s", "-f", "--create-dirs", "-o", filepath.Join(dir, filepath.FromSlash(artifactName)), fileURL)
			cmd.Stdout, cmd.Stderr = &out, &out
			peak, err := runMeasured(cmd)
			if err != nil {
				b.Fatalf("curl: %v\n%s", err, out.Bytes())
			}
			return peak
		})
	})

	b.Run("fetch-in-process", func(b *testing.B) {
		run(b, func(dir string) int64 {
			if err := fetchInto(context.Background(), base, dir); err != nil {
				b.Fatal(err)
			}
			return 0
		})
	})

	b.Run("fetch-child", func(b *testing.B) {
		run(b, func(dir string) int64 {
			cmd := exec.Command(os.Args[0], "-test.run=^TestArtifactFetchChild$", "-test.bench=^$")
			cmd.Env = append(os.Environ(), "BENCH_ARTIFACT_BASE="+base, "BENCH_ARTIFACT_DIR="+dir)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			peak, err := runMeasured(cmd)
			if err != nil || !bytes.Contains(out.Bytes(), []byte("PASS")) {
				b.Fatalf("child: %v\n%s", err, out.Bytes())
			}
			return peak
		})
	})

	b.Run("binary", func(b *testing.B) {
		bin := buildBinary(b)
		run(b, func(dir string) int64 {
			env := []string{"JENKINS_URL=" + base, "JENKINS_FOLLOW=" + base + artifactJob + "1/",
				"JENKINS_USER=" + user, "JENKINS_TOKEN=" + token,
				"JENKINS_ARTIFACTS=dist/*.bin", "JENKINS_ARTIFACTS_DIR=" + dir}
			peak := runBinary(b, bin, env, io.Discard)
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(artifactName))); err != nil {
				b.Fatalf("the command did not download the artifact: %v", err)
			}
			return peak
		})
	})
}

// TestArtifactFetchChild is the child process of the fetch-child variant:
// it runs only when the benchmark starts it.
func TestArtifactFetchChild(t *testing.T) {
	base, dir := os.Getenv("BENCH_ARTIFACT_BASE"), os.Getenv("BENCH_ARTIFACT_DIR")
	if base == "" {
		t.Skip("run by BenchmarkArtifact512MiB")
	}
	if err := fetchInto(context.Background(), base, dir); err != nil {
		t.Fatal(err)
	}
}

func fetchInto(ctx context.Context, base, dir string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	c := jenkins.New(u, &http.Client{Transport: &http.Transport{}}, jenkins.Options{User: user, Token: token})
	src := build1{c: c, job: jenkins.Job{Path: artifactJob, Name: "bench"}}
	files, unmatched, err := artifacts.Fetch(ctx, src, artifacts.Options{Patterns: []string{"dist/*.bin"}, Dir: dir})
	if err != nil {
		return err
	}
	if len(files) != 1 || len(unmatched) != 0 || files[0].Size != artifactSize {
		return fmt.Errorf("fetched %v, unmatched %q", files, unmatched)
	}
	return nil
}

// build1 is build 1 of job, as the flow hands a build's archive to
// artifacts.Fetch.
type build1 struct {
	c   *jenkins.Client
	job jenkins.Job
}

func (b build1) List(ctx context.Context) ([]string, error) { return b.c.Artifacts(ctx, b.job, 1) }

func (b build1) Download(ctx context.Context, rel string, w artifacts.Writer) (int64, error) {
	return b.c.DownloadArtifact(ctx, b.job, 1, rel, 0, w)
}

func (b build1) URL(rel string) string { return b.c.URL(jenkins.ArtifactPath(b.job, 1, rel)) }

// curlOnce times one curl download of the file.
func curlOnce(tb testing.TB, fileURL string) time.Duration {
	dir, err := os.MkdirTemp(tb.TempDir(), "")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if out, err := exec.Command("curl", "-s", "-f", "-o", filepath.Join(dir, "big.bin"), fileURL).CombinedOutput(); err != nil {
		tb.Fatalf("curl: %v\n%s", err, out)
	}
	return time.Since(start)
}
