package memnet

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// A server on the network answers a client that dials through it, inside
// a bubble whose time moves while the handler sleeps; a closed port is
// refused as a real one is.
func TestServeInBubble(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var n Network
		ts := &httptest.Server{Listener: n.Listen("127.0.0.1"), Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Hour)
			io.WriteString(w, "late")
		})}}
		ts.Start()
		defer ts.Close()
		tr := n.Transport()
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr}
		start := time.Now()
		resp, err := c.Get(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "late" {
			t.Fatalf("body %q, %v", body, err)
		}
		if took := time.Since(start); took != time.Hour {
			t.Errorf("took %v, want 1h", took)
		}
		_, err = c.Get("http://127.0.0.1:1/")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("closed port: %v", err)
		}
	})
}

// A connection holds a window of bytes each way, as a socket does: both
// ends may write at once, and a write past the window waits for the
// reader or the deadline. A close lets the peer read what was written,
// then EOF, and fails its writes.
func TestConnBuffers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe(nil, nil)
		if _, err := a.Write(make([]byte, window)); err != nil {
			t.Fatalf("a write within the window waited or failed: %v", err)
		}
		if _, err := b.Write([]byte("alert")); err != nil {
			t.Fatalf("the other way: %v", err)
		}
		a.SetWriteDeadline(time.Now().Add(time.Second))
		start := time.Now()
		if n, err := a.Write([]byte("x")); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != time.Second {
			t.Errorf("a write past the window: %d, %v after %v", n, err, time.Since(start))
		}
		a.Close()
		got, err := io.ReadAll(b)
		if len(got) != window || err != nil {
			t.Errorf("read %d bytes, %v; want the window, then EOF", len(got), err)
		}
		if _, err := b.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("a write to a closed peer: %v", err)
		}
	})
}
