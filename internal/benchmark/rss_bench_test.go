package benchmark

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// BenchmarkConsole256MiB runs the jenkins-trigger binary against a fake
// Jenkins, served from this process, whose build writes 256 MiB of console
// in 10 s. It reports the child process's peak RSS and checks that the
// console it printed is Jenkins' consoleText, byte for byte.
func BenchmarkConsole256MiB(b *testing.B) {
	const size = 256 << 20
	bin := buildBinary(b)
	f := newFixture(b, nil, jenkinstest.Script{Duration: 10 * time.Second, SyntheticLog: size}, freestyle)
	var rss int64
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		before := len(f.fake.Requests())
		out := &consoleTee{sum: sha256.New()}
		env := []string{"JENKINS_URL=" + f.url(), "JENKINS_JOB=" + jobName, "JENKINS_USER=" + user, "JENKINS_TOKEN=" + token}
		rss = max(rss, runBinary(b, bin, env, out))
		b.StopTimer()
		requests := len(f.fake.Requests()) - before
		want, n := consoleTextOf(b, f, jobPath, i+1)
		if out.n != n || !bytes.Equal(out.sum.Sum(nil), want) {
			b.Fatalf("printed %d bytes of console, Jenkins has %d, or they differ", out.n, n)
		}
		b.ReportMetric(float64(out.n)/(1<<20), "console-MiB")
		b.ReportMetric(float64(requests), "requests")
		b.StartTimer()
	}
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	if rss >= 30<<20 {
		b.Errorf("peak RSS %.1f MiB, over the 30 MiB bound", float64(rss)/(1<<20))
	}
}

// BenchmarkLine16MiB runs the jenkins-trigger binary against a build whose
// console is one line of 16 MiB between two short ones, and reports the
// child's peak RSS: a line is passed on as it comes, never held whole.
func BenchmarkLine16MiB(b *testing.B) {
	const size = 16 << 20
	bin := buildBinary(b)
	long := strings.Repeat("0123456789abcdef", size/16)
	f := newFixture(b, nil, jenkinstest.Script{Duration: 3 * time.Second, Log: []jenkinstest.LogLine{
		{At: 0, Text: "before"}, {At: time.Second, Text: long}, {At: 2 * time.Second, Text: "after"},
	}}, freestyle)
	var rss int64
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		out := &consoleTee{sum: sha256.New()}
		env := []string{"JENKINS_URL=" + f.url(), "JENKINS_JOB=" + jobName, "JENKINS_USER=" + user, "JENKINS_TOKEN=" + token}
		rss = max(rss, runBinary(b, bin, env, out))
		b.StopTimer()
		want, n := consoleTextOf(b, f, jobPath, i+1)
		if out.n != n || !bytes.Equal(out.sum.Sum(nil), want) {
			b.Fatalf("printed %d bytes of console, Jenkins has %d, or they differ", out.n, n)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
}

// buildBinary compiles jenkins-trigger, so that the benchmark measures the
// process users run rather than the test binary.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "jenkins-trigger")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// consoleTee counts and hashes the console lines of the child's stdout: all
// but its own status lines, which start with "» ".
type consoleTee struct {
	sum     hash.Hash
	n       int64
	partial []byte
}

func (c *consoleTee) Write(p []byte) (int, error) {
	buf := append(c.partial, p...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		if line := buf[:i+1]; !bytes.HasPrefix(line, []byte("» ")) {
			c.sum.Write(line)
			c.n += int64(len(line))
		}
		buf = buf[i+1:]
	}
	c.partial = append(c.partial[:0], buf...)
	return len(p), nil
}

// getAsUser GETs u as the benchmark's user.
func getAsUser(u string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(user, token)
	return http.DefaultClient.Do(req)
}
