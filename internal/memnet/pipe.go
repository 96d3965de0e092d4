package memnet

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// window is how many bytes a connection holds in each direction before a
// write waits for the reader, as a socket's buffers do. net.Pipe holds
// none: there a TLS alert written while the peer writes too never arrives.
const window = 64 << 10

// stream is one direction of a connection: a bounded buffer with the
// reader's and the writer's deadlines.
type stream struct {
	mu     sync.Mutex
	buf    []byte
	closed bool // no more writes; reads drain buf, then EOF
	broken bool // the reader is gone: writes fail
	// readBy and writeBy are the deadlines; zero means none.
	readBy, writeBy time.Time
	// changed is closed and replaced at every change a waiter may await.
	changed chan struct{}
}

func newStream() *stream { return &stream{changed: make(chan struct{})} }

// signal wakes every waiter; s.mu is held.
func (s *stream) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait releases s.mu until something changes or by passes, and takes it
// again; s.mu is held.
func (s *stream) wait(by time.Time) {
	changed := s.changed
	s.mu.Unlock()
	defer s.mu.Lock()
	if by.IsZero() {
		<-changed
		return
	}
	t := time.NewTimer(time.Until(by))
	defer t.Stop()
	select {
	case <-changed:
	case <-t.C:
	}
}

func passed(by time.Time) bool { return !by.IsZero() && !time.Now().Before(by) }

func (s *stream) read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		switch {
		case s.broken:
			return 0, net.ErrClosed
		case len(s.buf) > 0:
			n := copy(p, s.buf)
			s.buf = s.buf[n:]
			s.signal()
			return n, nil
		case s.closed:
			return 0, io.EOF
		case passed(s.readBy):
			return 0, os.ErrDeadlineExceeded
		}
		s.wait(s.readBy)
	}
}

func (s *stream) write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for {
		switch {
		case s.closed || s.broken:
			return n, net.ErrClosed
		case n == len(p):
			return n, nil
		case passed(s.writeBy):
			return n, os.ErrDeadlineExceeded
		case len(s.buf) < window:
			k := min(len(p)-n, window-len(s.buf))
			s.buf = append(s.buf, p[n:n+k]...)
			n += k
			s.signal()
			continue
		}
		s.wait(s.writeBy)
	}
}

// set changes a deadline under the lock and wakes the waiters to see it.
func (s *stream) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	s.signal()
}

// end closes the stream for writing, or breaks it for the reader that left.
func (s *stream) end(broken bool) {
	s.set(func() {
		s.closed = true
		s.broken = s.broken || broken
	})
}

// conn is one end of a connection, with TCP addresses, as a server reads
// its client's host from RemoteAddr.
type conn struct {
	in, out       *stream
	local, remote net.Addr
	once          sync.Once
}

// pipe returns the two ends of a new connection.
func pipe(a, b net.Addr) (*conn, *conn) {
	ab, ba := newStream(), newStream()
	return &conn{in: ba, out: ab, local: a, remote: b}, &conn{in: ab, out: ba, local: b, remote: a}
}

func (c *conn) Read(p []byte) (int, error)  { return c.in.read(p) }
func (c *conn) Write(p []byte) (int, error) { return c.out.write(p) }

// Close ends both directions: the peer reads what was written, then EOF;
// its writes fail.
func (c *conn) Close() error {
	c.once.Do(func() {
		c.out.end(false)
		c.in.end(true)
	})
	return nil
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

func (c *conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.in.set(func() { c.in.readBy = t })
	return nil
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.out.set(func() { c.out.writeBy = t })
	return nil
}
