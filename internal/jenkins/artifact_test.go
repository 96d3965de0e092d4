package jenkins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// memFile is an ArtifactWriter in memory.
type memFile struct {
	bytes.Buffer
	restarts int
	// held is the buffer's length, for a server that waits for the
	// client to have taken a piece.
	held atomic.Int64
}

func (m *memFile) Write(p []byte) (int, error) {
	n, err := m.Buffer.Write(p)
	m.held.Add(int64(n))
	return n, err
}

func (m *memFile) size() int { return int(m.held.Load()) }

func (m *memFile) Restart() error {
	m.Reset()
	m.held.Store(0)
	m.restarts++
	return nil
}

func content(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// serveFile answers as Jenkins does for a plain file: Content-Length,
// Accept-Ranges and single ranges answered 206.
func serveFile(data []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.RequestURI, ";") {
			http.Error(w, "Semicolons are not allowed in the request URI", http.StatusBadRequest)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}
}

// breakAt sends the first n bytes of data with the whole Content-Length,
// then drops the connection.
func breakAt(w http.ResponseWriter, data []byte, n int) {
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data[:n])
	w.(http.Flusher).Flush()
	conn, _, _ := http.NewResponseController(w).Hijack()
	conn.Close()
}

// refusesCredentials stands for S3 or a resource domain: it answers 400 to
// any request that carries an Authorization header or a cookie.
func refusesCredentials(t *testing.T, n *memnet.Network, host string, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := &httptest.Server{Listener: n.Listen(host), Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" || r.Header.Get("Jenkins-Crumb") != "" {
			http.Error(w, "credentials sent to another origin: "+r.Header.Get("Authorization")+r.Header.Get("Cookie"), http.StatusBadRequest)
			return
		}
		h(w, r)
	})}}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func TestDownloadArtifact(t *testing.T) {
	t.Parallel()
	data := content(3<<20 + 17)
	tests := []struct {
		name     string
		rel      string
		handler  func(t *testing.T, calls *atomic.Int32) http.HandlerFunc
		restarts int
		calls    int32
		// idle is the request deadline, for the case that waits it out;
		// the others keep the harness' 5 s, which a loaded machine's
		// slowest moment of a 3 MiB transfer stays well within.
		idle time.Duration
	}{
		{"whole file", "dist/app.bin", func(t *testing.T, _ *atomic.Int32) http.HandlerFunc { return serveFile(data) }, 0, 1, 0},
		{"semicolon escaped", "dist/a;b c.bin", func(t *testing.T, _ *atomic.Int32) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.RequestURI, "/artifact/dist/a%3Bb%20c.bin") {
					t.Errorf("requested %s", r.RequestURI)
				}
				serveFile(data)(w, r)
			}
		}, 0, 1, 0},
		{"broken midway, resumed", "dist/app.bin", func(t *testing.T, calls *atomic.Int32) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					breakAt(w, data, len(data)/2)
					return
				}
				if got := r.Header.Get("Range"); got != fmt.Sprintf("bytes=%d-", len(data)/2) {
					t.Errorf("Range %q, want the rest from byte %d", got, len(data)/2)
				}
				serveFile(data)(w, r)
			}
		}, 0, 2, 0},
		{"broken midway, restarted", "dist/app.bin", func(t *testing.T, calls *atomic.Int32) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					breakAt(w, data, len(data)/3)
					return
				}
				r.Header.Del("Range") // a server without ranges
				serveFile(data)(w, r)
			}
		}, 1, 2, 0},
		{"stalled midway, resumed", "dist/app.bin", func(t *testing.T, calls *atomic.Int32) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Content-Length", fmt.Sprint(len(data)))
					w.Write(data[:1000])
					w.(http.Flusher).Flush()
					silent(w, r)
					return
				}
				serveFile(data)(w, r)
			}
		}, 0, 2, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				c, _ := hostile(t, tt.handler(t, &calls))
				if tt.idle > 0 {
					c.opts.RequestTimeout = tt.idle
				}
				var f memFile
				n, err := c.DownloadArtifact(context.Background(), testJob, 1, tt.rel, 0, &f)
				if err != nil {
					t.Fatal(err)
				}
				if n != int64(len(data)) || !bytes.Equal(f.Bytes(), data) {
					t.Fatalf("got %d bytes (%d held), want %d, or they differ", n, f.Len(), len(data))
				}
				if f.restarts != tt.restarts {
					t.Errorf("%d restarts, want %d", f.restarts, tt.restarts)
				}
				if got := calls.Load(); tt.calls > 1 && got != tt.calls {
					t.Errorf("%d requests, want %d", got, tt.calls)
				}
			})
		})
	}
}

// TestDownloadSlowButMoving: a body that keeps moving is never cut, however
// long it takes in all; only a stretch without progress is.
func TestDownloadSlowButMoving(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var f memFile
		c, n := hostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "20")
			for i := range 20 {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				// Once the client has the piece, the next takes a while. A
				// client that gave up ends the wait, so the test fails
				// rather than hangs.
				for f.size() <= i && r.Context().Err() == nil {
					runtime.Gosched()
				}
				time.Sleep(30 * time.Millisecond)
			}
		})
		// 20 pieces 30 ms apart: twice the 300 ms deadline in all.
		c.opts.RequestTimeout = 300 * time.Millisecond
		if _, err := c.DownloadArtifact(context.Background(), testJob, 1, "slow.txt", 0, &f); err != nil || f.String() != strings.Repeat("x", 20) {
			t.Fatalf("err = %v, got %q", err, f.String())
		}
		n.check(t, false)
	})
}

func TestDownloadFailures(t *testing.T) {
	t.Parallel()
	data := content(1000)
	tests := []struct {
		name    string
		rel     string
		handler http.HandlerFunc
		want    string
	}{
		{"always short", "a.bin", func(w http.ResponseWriter, r *http.Request) { breakAt(w, data, 10) }, "giving up after"},
		{"not found", "a.bin", echo(http.StatusNotFound), "404 Not Found"},
		{"wrong range", "a.bin", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Range", "bytes 5-9/1000")
			w.WriteHeader(http.StatusPartialContent)
		}, `Content-Range "bytes 5-9/1000" does not continue the file at byte 0`},
		{"redirect loop", "a.bin", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, "more than 5 redirects"},
		{"dot segment", "a/../b", serveFile(data), "not a file path"},
		{"empty segment", "a//b", serveFile(data), "not a file path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, _ := hostile(t, tt.handler)
				var f memFile
				_, err := c.DownloadArtifact(context.Background(), testJob, 1, tt.rel, 0, &f)
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.rel) {
					t.Fatalf("err = %v, want %q naming %s", err, tt.want, tt.rel)
				}
				assertClean(t, err)
			})
		})
	}
}

// TestDownloadRedirects: a redirect away from Jenkins' origin, to another
// host or only another port, carries no credentials or cookie, and an
// expired target sends the download back to Jenkins for a fresh one.
func TestDownloadRedirects(t *testing.T) {
	t.Parallel()
	data := content(200 << 10)
	tests := []struct {
		name string
		// host is the target server's.
		host    string
		expired int32 // how many signatures are refused
	}{
		{"another host", "127.0.0.2", 0},
		{"same host, another port", "127.0.0.1", 0},
		{"expired presigned URL", "127.0.0.1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				n := &memnet.Network{}
				store := refusesCredentials(t, n, tt.host, func(w http.ResponseWriter, r *http.Request) {
					var sig int32
					fmt.Sscan(r.URL.Query().Get("X-Amz-Signature"), &sig)
					if sig <= tt.expired {
						http.Error(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", http.StatusForbidden)
						return
					}
					serveFile(data)(w, r)
				})
				var asked atomic.Int32
				c, _ := hostileOn(t, n, func(w http.ResponseWriter, r *http.Request) {
					// A session cookie the jar would send to any port of the host.
					http.SetCookie(w, &http.Cookie{Name: "JSESSIONID.abc", Value: "node0session0123456789"})
					target := fmt.Sprintf("%s/bucket/app.bin?X-Amz-Signature=%d", store.URL, asked.Add(1))
					http.Redirect(w, r, target, http.StatusFound)
				})
				// The cookie reaches the jar before the download.
				c.http.Jar.SetCookies(c.base, []*http.Cookie{{Name: "JSESSIONID.abc", Value: "node0session0123456789"}})
				var f memFile
				if _, err := c.DownloadArtifact(context.Background(), testJob, 1, "app.bin", 0, &f); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(f.Bytes(), data) {
					t.Fatalf("got %d bytes, want %d", f.Len(), len(data))
				}
				if got, want := asked.Load(), tt.expired+1; got != want {
					t.Errorf("asked Jenkins %d times, want %d", got, want)
				}
			})
		})
	}
}

// TestDownloadForeignErrorHidesSignature: an error at a redirect target
// names it without its query, which for a presigned URL is a credential.
func TestDownloadForeignErrorHidesSignature(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		n := &memnet.Network{}
		store := refusesCredentials(t, n, "127.0.0.2", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
		c, _ := hostileOn(t, n, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, store.URL+"/bucket/app.bin?X-Amz-Signature=s3cr3tsig", http.StatusFound)
		})
		var f memFile
		_, err := c.DownloadArtifact(context.Background(), testJob, 1, "app.bin", 0, &f)
		if !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "s3cr3tsig") || !strings.Contains(err.Error(), "redirected from Jenkins") {
			t.Fatalf("err = %v, want a 404 from the redirect target without its signature", err)
		}
	})
}

func TestArtifacts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/jenkins/job/deploy/7/api/json" || r.URL.Query().Get("tree") != "artifacts[relativePath]" {
				t.Errorf("asked for %s", r.URL)
			}
			jsonAnswer(`{"_class":"x","artifacts":[{"displayPath":null,"fileName":"a.zip","relativePath":"dist/a.zip"}]}`)(w, r)
		})
		got, err := c.Artifacts(context.Background(), testJob, 7)
		if err != nil || len(got) != 1 || got[0] != "dist/a.zip" {
			t.Fatalf("got %v, %v", got, err)
		}
	})
}

func TestArtifactPath(t *testing.T) {
	t.Parallel()
	for rel, want := range map[string]string{
		"dist/app.zip":    "/job/deploy/3/artifact/dist/app.zip",
		"a;b/c d#?.txt":   "/job/deploy/3/artifact/a%3Bb/c%20d%23%3F.txt",
		"100%/naïve.html": "/job/deploy/3/artifact/100%25/na%C3%AFve.html",
	} {
		if got := ArtifactPath(testJob, 3, rel); got != want {
			t.Errorf("ArtifactPath(%q) = %q, want %q", rel, got, want)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in                string
		start, end, total int64
		ok                bool
	}{
		{"bytes 0-9/10", 0, 9, 10, true},
		{"bytes 5-9/100", 5, 9, 100, true},
		{"bytes 5-9/*", 0, 0, 0, false},
		{"bytes 9-5/100", 0, 0, 0, false},
		{"bytes 0-10/10", 0, 0, 0, false},
		{"bytes -1-5/10", 0, 0, 0, false},
		{"items 0-9/10", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	}
	for _, tt := range tests {
		s, e, total, ok := parseContentRange(tt.in)
		if s != tt.start || e != tt.end || total != tt.total || ok != tt.ok {
			t.Errorf("%q: %d %d %d %v", tt.in, s, e, total, ok)
		}
	}
}
