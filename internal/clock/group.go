package clock

import "sync"

// Group runs goroutines that a Virtual clock knows of, as testing/synctest
// knows the goroutines of its bubble: the clock then moves only while all
// of them, and the goroutine that started them unless it waits for them,
// wait on it. On the Real clock it is a WaitGroup.
type Group struct {
	v *Virtual // nil on another clock

	mu      sync.Mutex
	live    int
	waiting bool
	idle    chan struct{} // closed when live drops to 0
}

// NewGroup returns a group for goroutines that wait on c.
func NewGroup(c Clock) *Group {
	v, _ := c.(*Virtual)
	return &Group{v: v}
}

// Go runs f in a goroutine of the group.
func (g *Group) Go(f func()) {
	g.mu.Lock()
	if g.live == 0 {
		g.idle = make(chan struct{})
	}
	g.live++
	g.mu.Unlock()
	if g.v != nil {
		g.v.join()
	}
	go func() {
		defer g.done()
		f()
	}()
}

// done ends one goroutine. The last one hands its place among the
// running to the goroutine waiting for the group, so that time cannot
// move between the two.
func (g *Group) done() {
	g.mu.Lock()
	g.live--
	last := g.live == 0
	handOver := last && g.waiting
	if last {
		close(g.idle)
	}
	g.mu.Unlock()
	if g.v != nil && !handOver {
		g.v.leave()
	}
}

// Wait waits until every goroutine of the group has returned; meanwhile
// the clock does not wait for the caller.
func (g *Group) Wait() {
	g.mu.Lock()
	if g.live == 0 {
		g.mu.Unlock()
		return
	}
	g.waiting = true
	idle := g.idle
	g.mu.Unlock()
	if g.v != nil {
		g.v.leave()
	}
	<-idle
	g.mu.Lock()
	g.waiting = false
	g.mu.Unlock()
}
