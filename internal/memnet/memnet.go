// Package memnet is an in-memory network for tests: listeners at made-up
// TCP addresses and a dialer that reaches them over buffered in-memory
// connections. Servers and clients on it can run inside a testing/synctest
// bubble, where a goroutine blocked on a real socket would hold the
// bubble's time still.
package memnet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"syscall"
)

// Network is a set of listeners by address. Make it inside the bubble
// that uses it: its channels then belong to that bubble.
type Network struct {
	mu        sync.Mutex
	listeners map[string]*Listener
	port      int
}

// Listen returns a listener on host at a port of its own.
func (n *Network) Listen(host string) *Listener {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.listeners == nil {
		n.listeners = map[string]*Listener{}
		n.port = 40000
	}
	n.port++
	l := &Listener{
		net:   n,
		addr:  &net.TCPAddr{IP: net.ParseIP(host), Port: n.port},
		conns: make(chan net.Conn),
		done:  make(chan struct{}),
	}
	n.listeners[l.addr.String()] = l
	return l
}

// DialContext connects to the listener at addr, as net.Dialer's does to a
// port; an address nobody listens on is refused, and a host name other
// than localhost is not found, as the network has no resolver (Go's keeps
// state that a synctest bubble may not share).
func (n *Network) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil && net.ParseIP(host) == nil {
		if host != "localhost" {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
		}
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	n.mu.Lock()
	l := n.listeners[addr]
	n.mu.Unlock()
	if l == nil {
		return nil, refused(network, addr)
	}
	n.mu.Lock()
	n.port++
	from := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: n.port}
	n.mu.Unlock()
	client, server := pipe(from, l.addr)
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, refused(network, addr)
	case <-ctx.Done():
		return nil, fmt.Errorf("memnet: dial %s: %w", addr, ctx.Err())
	}
}

// Transport is an HTTP transport that dials on n.
func (n *Network) Transport() *http.Transport {
	return &http.Transport{DialContext: n.DialContext}
}

// NewUnstartedServer is httptest.NewUnstartedServer on a listener of n
// at 127.0.0.1; start it with Start or StartTLS.
func (n *Network) NewUnstartedServer(h http.Handler) *httptest.Server {
	return &httptest.Server{Listener: n.Listen("127.0.0.1"), Config: &http.Server{Handler: h}}
}

// NewServer is httptest.NewServer on n.
func (n *Network) NewServer(h http.Handler) *httptest.Server {
	ts := n.NewUnstartedServer(h)
	n.Start(ts)
	return ts
}

// Start starts ts, whose Client then dials on n.
func (n *Network) Start(ts *httptest.Server) {
	ts.Start()
	ts.Client().Transport.(*http.Transport).DialContext = n.DialContext
}

// StartTLS starts ts over TLS, whose Client then dials on n.
func (n *Network) StartTLS(ts *httptest.Server) {
	ts.StartTLS()
	ts.Client().Transport.(*http.Transport).DialContext = n.DialContext
}

// refused is the error a real dial gives for a closed port.
func refused(network, addr string) error {
	return &net.OpError{Op: "dial", Net: network, Addr: addrOf(addr), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

func addrOf(addr string) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil
	}
	return a
}

// Listener is a net.Listener on a Network.
type Listener struct {
	net   *Network
	addr  *net.TCPAddr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// Accept waits for a dial to the listener's address.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting and frees the address.
func (l *Listener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.net.mu.Lock()
		delete(l.net.listeners, l.addr.String())
		l.net.mu.Unlock()
	})
	return nil
}

// Addr is the made-up TCP address.
func (l *Listener) Addr() net.Addr { return l.addr }
