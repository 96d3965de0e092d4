package jenkinstest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

var noteRE = regexp.MustCompile("\x1b\\[8mha:[A-Za-z0-9+/=]*\x1b\\[0m")

// progressive fetches one chunk and returns the body and the headers.
func (f *fixture) progressive(path string, start int64) (body string, size int64, more bool) {
	f.t.Helper()
	r := f.get(fmt.Sprintf("%s/logText/progressiveText?start=%d", path, start))
	if r.status != http.StatusOK {
		f.t.Fatalf("progressiveText: %d", r.status)
	}
	size, err := strconv.ParseInt(r.header.Get("X-Text-Size"), 10, 64)
	if err != nil {
		f.t.Fatalf("X-Text-Size %q", r.header.Get("X-Text-Size"))
	}
	if ct := r.header.Get("Content-Type"); ct != "text/plain;charset=UTF-8" {
		f.t.Errorf("Content-Type %q", ct)
	}
	return r.body, size, r.header.Get("X-More-Data") == "true"
}

func TestProgressiveText(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "j", Script: fixed(Script{
			Duration: 10 * time.Second, LogDelay: time.Second,
			Log: []LogLine{
				{At: 2 * time.Second, Text: "\x1b[32mgreen\x1b[0m"},
				{At: 3 * time.Second, Text: "Downloading... ", Partial: true},
				{At: 5 * time.Second, Text: "done"},
			},
		})})
		f.post("/job/j/build")
		body, size, more := f.progressive("/job/j/1", 0)
		if body != "" || size != 0 || !more {
			t.Fatalf("before the log exists: %q %d %v", body, size, more)
		}
		time.Sleep(4 * time.Second) // the partial line is written
		body, size, more = f.progressive("/job/j/1", 0)
		if !more || strings.Contains(body, "Downloading") || !strings.HasSuffix(body, "\x1b[32mgreen\x1b[0m\r\n") {
			t.Fatalf("running: more=%v body %q", more, body)
		}
		if raw := int64(len(strings.ReplaceAll(body, "\r\n", "\n"))); size <= raw {
			t.Errorf("X-Text-Size %d does not count the stripped notes (plain body %d bytes)", size, raw)
		}
		full := f.get("/job/j/1/consoleText").body
		if !strings.HasSuffix(full, "green\x1b[0m\nDownloading... ") || strings.Contains(full, "\r") || strings.Contains(full, "ha:") {
			t.Errorf("consoleText while running %q", full)
		}
		again, size2, _ := f.progressive("/job/j/1", size)
		if again != "" || size2 != size {
			t.Errorf("nothing new: %q %d", again, size2)
		}
		time.Sleep(2 * time.Second)
		rest, size3, more := f.progressive("/job/j/1", size)
		if rest != "Downloading... done\r\n" || !more || size3 != size+int64(len("Downloading... done\n")) {
			t.Errorf("rest %q size %d more %v", rest, size3, more)
		}
		time.Sleep(time.Hour)
		tail, size4, more := f.progressive("/job/j/1", size3)
		if tail != "Finished: SUCCESS\r\n" || more {
			t.Errorf("tail %q more %v", tail, more)
		}
		reset, _, _ := f.progressive("/job/j/1", size4+100)
		if !strings.HasPrefix(reset, "Started by user alice\r\n") {
			t.Errorf("start past the end does not restart: %q", reset)
		}
	})
}

func TestConsoleNotes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		opts  Options
		notes bool
	}{
		{"stripped", Options{}, false},
		{"raw", Options{RawConsoleNotes: true}, true},
		{"legacy", Options{RawConsoleNotes: true, Legacy: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, tt.opts, JobSpec{FullName: "p", Pipeline: true, Script: fixed(Script{Duration: time.Second, Log: []LogLine{{Text: "hi"}}})})
				f.post("/job/p/build")
				time.Sleep(time.Minute)
				body, size, _ := f.progressive("/job/p/1", 0)
				lf := strings.ReplaceAll(body, "\r\n", "\n")
				if got := strings.Contains(body, "\x1b[8mha:"); got != tt.notes {
					t.Errorf("notes in body: %v, want %v", got, tt.notes)
				}
				console := f.get("/job/p/1/consoleText").body
				if noteRE.ReplaceAllString(lf, "") != console {
					t.Errorf("progressive %q\n!= consoleText %q", lf, console)
				}
				if tt.notes && int64(len(lf)) != size {
					t.Errorf("raw body %d bytes, X-Text-Size %d", len(lf), size)
				}
				if !strings.Contains(console, "[Pipeline] Start of Pipeline\n") || !strings.HasSuffix(console, "[Pipeline] End of Pipeline\nFinished: SUCCESS\n") {
					t.Errorf("consoleText %q", console)
				}
			})
		})
	}
}

// TestProgressiveReassembly polls a growing log at uneven intervals and
// checks that the chunks add up to consoleText exactly once.
func TestProgressiveReassembly(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var lines []LogLine
		for i := range 50 {
			lines = append(lines, LogLine{At: time.Duration(i) * 700 * time.Millisecond, Text: "line " + strconv.Itoa(i), Partial: i%7 == 3})
		}
		f := newFixture(t, Options{RawConsoleNotes: true}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(Script{
			Duration: 40 * time.Second, Log: lines, SyntheticLog: 12345,
		})})
		f.post("/job/p/build")
		var got strings.Builder
		var start int64
		for i := 0; ; i++ {
			body, size, more := f.progressive("/job/p/1", start)
			got.WriteString(noteRE.ReplaceAllString(strings.ReplaceAll(body, "\r\n", "\n"), ""))
			start = size
			if !more {
				break
			}
			time.Sleep(time.Duration(i%5) * 900 * time.Millisecond)
		}
		if want := f.get("/job/p/1/consoleText").body; got.String() != want {
			t.Errorf("reassembled log differs:\n got %d bytes\nwant %d bytes", got.Len(), len(want))
		}
	})
}

func TestProgressiveLineCap(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "j", Script: fixed(Script{Duration: time.Hour, SyntheticLog: 25_000 * synLineLen})})
		f.post("/job/j/build")
		time.Sleep(59 * time.Minute)
		var start int64
		var counts []int
		for {
			body, size, more := f.progressive("/job/j/1", start)
			counts = append(counts, strings.Count(body, "\n"))
			if size == start || !more {
				break
			}
			start = size
		}
		if counts[0] != maxLinesRead || counts[1] != maxLinesRead {
			t.Errorf("lines per answer %v, want %d while running", counts, maxLinesRead)
		}
	})
}

// countingDiscard is a ResponseWriter that only counts.
type countingDiscard struct {
	header http.Header
	n      int64
}

func (c *countingDiscard) Header() http.Header         { return c.header }
func (c *countingDiscard) WriteHeader(int)             {}
func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestSyntheticLogIsNotHeldInMemory is not parallel: it measures the
// allocations of one request.
func TestSyntheticLogIsNotHeldInMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size = 256 << 20
		f := newFixture(t, Options{}, JobSpec{FullName: "big", Script: fixed(Script{Duration: 10 * time.Minute, SyntheticLog: size})})
		f.post("/job/big/build")
		time.Sleep(time.Hour)
		req := httptest.NewRequest(http.MethodGet, "/jenkins/job/big/1/consoleText", nil)
		req.SetBasicAuth("alice", aliceToken)
		w := &countingDiscard{header: http.Header{}}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f.srv.Handler().ServeHTTP(w, req)
		runtime.ReadMemStats(&after)
		if overhead := w.n - size; overhead <= 0 || overhead > 1000 {
			t.Errorf("consoleText %d bytes, want %d plus a few lines", w.n, size)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("serving a %d MiB log allocated %d KiB", size>>20, alloc>>10)
		}
		// A range at the end is as cheap as one at the start.
		body, _, more := f.progressive("/job/big/1", w.n-50)
		if more || !strings.HasSuffix(body, "Finished: SUCCESS\r\n") || len(body) > 400 {
			t.Errorf("tail %q more %v", body, more)
		}
	})
}

// TestNotesAreSplitByFlushes checks that in raw mode every note is flushed
// in two halves, so clients meet notes cut across reads.
func TestNotesAreSplitByFlushes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{RawConsoleNotes: true}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(Script{Duration: time.Second})})
		f.post("/job/p/build")
		time.Sleep(time.Minute)
		f.srv.mu.Lock()
		v := f.srv.lookup("p").builds[0].log.view(time.Now())
		f.srv.mu.Unlock()
		var out strings.Builder
		var cuts []int
		if err := v.write(&out, 0, v.size, true, func() { cuts = append(cuts, out.Len()) }); err != nil {
			t.Fatal(err)
		}
		notes := noteRE.FindAllStringIndex(out.String(), -1)
		if len(notes) == 0 || len(cuts) != len(notes) {
			t.Fatalf("%d notes, %d flushes", len(notes), len(cuts))
		}
		for i, n := range notes {
			if cuts[i] <= n[0] || cuts[i] >= n[1] {
				t.Errorf("flush at %d is outside note %v", cuts[i], n)
			}
		}
	})
}
