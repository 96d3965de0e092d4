package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/clock"
	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// buildBinary compiles jenkins-trigger into a temporary directory, so that
// a benchmark can measure the process users run, not the test binary.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "jenkins-trigger")
	cmd := exec.Command("go", "build", "-o", bin, "../..")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// peakRSS returns the finished child's peak resident set size in bytes.
func peakRSS(tb testing.TB, cmd *exec.Cmd) int64 {
	tb.Helper()
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		tb.Skip("no rusage on this platform")
	}
	return ru.Maxrss * 1024 // Linux reports KiB
}

// BenchmarkUpload1GiB uploads a 1 GiB file parameter with the real binary
// and reports the process's peak RSS: the file is streamed from disk, never
// read whole into memory.
func BenchmarkUpload1GiB(b *testing.B) {
	const size = 1 << 30
	bin := buildBinary(b)
	dir := b.TempDir()
	path := filepath.Join(dir, "bundle.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	// A sparse file: reading it costs no disk, and its content is known.
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	f.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, zeros{}, size); err != nil {
		b.Fatal(err)
	}
	want := hex.EncodeToString(h.Sum(nil))

	srv := jenkinstest.New(jenkinstest.Options{
		Clock:       clock.Real{},
		ContextPath: "/jenkins",
		Users:       map[string]jenkinstest.User{"alice": {APIToken: secretToken}},
	})
	defer srv.Close()
	srv.AddJob(jenkinstest.JobSpec{FullName: "upload", Params: []jenkinstest.ParamDef{{Name: "BUNDLE", Type: "file"}}})

	var rss int64
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(bin)
		cmd.Env = []string{
			"JENKINS_URL=" + srv.URL(), "JENKINS_JOB=upload", "JENKINS_USER=alice", "JENKINS_TOKEN=" + secretToken,
			"JENKINS_FILES=BUNDLE=" + path, "JENKINS_WAIT_FOR=queue",
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("jenkins-trigger: %v\n%s", err, out)
		}
		rss = max(rss, peakRSS(b, cmd))
	}
	b.StopTimer()
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	// The job has no quiet period, so each upload is a build by now.
	builds := srv.Builds("upload")
	if len(builds) != b.N {
		b.Fatalf("%d builds for %d uploads", len(builds), b.N)
	}
	for _, bl := range builds {
		if got := bl.Files["BUNDLE"]; got.Size != size || got.SHA256 != want {
			b.Fatalf("upload arrived as %d bytes, sha256 %s", got.Size, got.SHA256)
		}
	}
	if rss > 30<<20 {
		b.Errorf("peak RSS %d MiB, over the 30 MiB bound", rss>>20)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
