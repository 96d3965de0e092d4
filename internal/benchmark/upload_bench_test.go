package benchmark

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// BenchmarkUpload1GiB uploads a 1 GiB file parameter with the
// jenkins-trigger binary and reports the process's peak RSS: the file is
// streamed from disk, never read whole into memory.
func BenchmarkUpload1GiB(b *testing.B) {
	const size = 1 << 30
	bin := buildBinary(b)
	path := filepath.Join(b.TempDir(), "bundle.bin")
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

	fake := jenkinstest.New(jenkinstest.Options{
		ContextPath: "/jenkins",
		Users:       map[string]jenkinstest.User{user: {APIToken: token}},
	})
	defer fake.Close()
	fake.AddJob(jenkinstest.JobSpec{FullName: "upload", Params: []jenkinstest.ParamDef{{Name: "BUNDLE", Type: "file"}}})

	var rss int64
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		env := []string{
			"JENKINS_URL=" + fake.URL(), "JENKINS_JOB=upload", "JENKINS_USER=" + user, "JENKINS_TOKEN=" + token,
			"JENKINS_FILES=BUNDLE=" + path, "JENKINS_WAIT_FOR=queue",
		}
		rss = max(rss, runBinary(b, bin, env, io.Discard))
	}
	b.StopTimer()
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	// The job has no quiet period, so each upload is a build by now.
	builds := fake.Builds("upload")
	if len(builds) != b.N {
		b.Fatalf("%d builds for %d uploads", len(builds), b.N)
	}
	for _, bl := range builds {
		if got := bl.Files["BUNDLE"]; got.Size != size || got.SHA256 != want {
			b.Fatalf("upload arrived as %d bytes, sha256 %s", got.Size, got.SHA256)
		}
	}
	if rss >= 30<<20 {
		b.Errorf("peak RSS %.1f MiB, over the 30 MiB bound", float64(rss)/(1<<20))
	}
}

// zeros reads as an endless run of zero bytes, the content of a sparse file.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
