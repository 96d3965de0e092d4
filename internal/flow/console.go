package flow

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkins"
)

// buildCheckEvery is how many quiet console polls in a row may pass before
// the build's own state is read again while the console says more is
// coming: it says so forever when the log file is missing, or behind a
// broken proxy. A growing console needs no such check.
const buildCheckEvery = 10

// maxDrain bounds the console reads after Jenkins says the build finished.
const maxDrain = 20

// consoleTracker streams the build's console from its start, and notes the
// lines that say a Pipeline's stages or inputs may have changed.
type consoleTracker struct {
	subject
	client consoleClient
	out    io.WriteCloser
	filter *jenkins.ConsoleFilter
	tap    *markTap
	next   int64
	// more is what the latest read said of the log: more is coming.
	more   bool
	quiet  int
	drains int
	// cut is set once the console grew too long after the build finished.
	cut bool
}

// newConsoleTracker follows the console when the log input says so.
func newConsoleTracker(w watch) tracker {
	if !w.policy.Log {
		return nil
	}
	out := w.streams.Console(fmt.Sprintf("%s #%d console", w.job.Name, w.number), w.label)
	tap := &markTap{w: out}
	return &consoleTracker{subject: w.subject, client: w.client, out: out, tap: tap, filter: jenkins.NewConsoleFilter(tap), more: true}
}

func (c *consoleTracker) poll(ctx context.Context, v view) (view, error) {
	if c.cut || v.build.Finished() && !c.more {
		return v, nil
	}
	chunk, err := c.client.ProgressiveText(ctx, c.job, c.number, c.next, c.filter)
	if err != nil {
		return v, err
	}
	// No log file at all says "more" forever: a finished build with none
	// has nothing to drain.
	c.next, c.more = chunk.Next, chunk.More && !(v.build.Finished() && chunk.Next == 0)
	if chunk.Bytes > 0 {
		c.quiet = 0
		v.wrote = true
	} else {
		c.quiet++
	}
	v.readBuild = !chunk.More || c.quiet > 0 && c.quiet%buildCheckEvery == 0
	v.marks = c.tap.take()
	if v.build.Finished() && c.more {
		// Drain what the build still writes after Jenkins calls it
		// finished, within bounds.
		if c.drains++; c.drains > maxDrain {
			c.log.Warning("the console of %s #%d still grows after the build finished; stopped reading it", c.job.Name, c.number)
			c.cut = true
		}
	}
	return v, nil
}

// feed hands the console's lines to the trackers that read them.
func (c *consoleTracker) feed(readers []lineReader) { c.tap.readers = readers }

func (c *consoleTracker) drained(view) bool { return c.cut || !c.more }

func (c *consoleTracker) close(_ context.Context, v view) view {
	c.filter.Flush()
	c.out.Close()
	return v
}

// marks are the console lines seen that say a Pipeline's stages or inputs
// may have changed (workflow-job's NewNodeConsoleNote prints one per step),
// and the lines the trackers that read lines asked for.
type marks struct {
	stage, input bool
	lines        []string
}

// lineReader is a tracker that reads the build's console line by line:
// the console tracker hands it, in the view's marks, each whole line of up
// to maxLine bytes that one of them wants, at most maxLines a tick. A
// tracker becomes one by having the method.
type lineReader interface {
	wants(line []byte) bool
}

const (
	maxLine  = 4096
	maxLines = 64
)

var (
	stageMarks = [][]byte{[]byte("[Pipeline] stage"), []byte("[Pipeline] { ("), []byte("[Pipeline] }")}
	inputMark  = []byte("[Pipeline] input")
)

// markLen is how much of a line the marks need.
const markLen = 16

// markTap passes the console through to w and notes the Pipeline step
// lines that start a stage, end a block or pause for input. It keeps only
// the start of the current line, and when a tracker reads lines the whole
// line up to maxLine.
type markTap struct {
	w io.Writer
	// head is the start of the current line, up to markLen bytes; full
	// once it holds that much.
	head []byte
	full bool
	seen marks
	// readers are the trackers that read whole lines; line is the current
	// line while it is short enough to hand to them, long once it is not.
	readers []lineReader
	line    []byte
	long    bool
}

func (m *markTap) Write(p []byte) (int, error) {
	rest := p
	for len(rest) > 0 {
		end := bytes.IndexByte(rest, '\n')
		line := rest
		if end >= 0 {
			line = rest[:end]
		}
		if !m.full {
			m.head = append(m.head, line[:min(len(line), markLen-len(m.head))]...)
			m.check()
			m.full = len(m.head) == markLen
		}
		if len(m.readers) > 0 {
			m.keep(line)
		}
		if end < 0 {
			break
		}
		if len(m.readers) > 0 {
			m.ended()
		}
		m.head, m.full = m.head[:0], false
		rest = rest[end+1:]
	}
	if m.w == nil {
		return len(p), nil
	}
	return m.w.Write(p)
}

func (m *markTap) check() {
	for _, mark := range stageMarks {
		if bytes.HasPrefix(m.head, mark) {
			m.seen.stage = true
		}
	}
	if bytes.HasPrefix(m.head, inputMark) {
		m.seen.input, m.seen.stage = true, true
	}
}

// keep adds part of the current line to what is kept of it.
func (m *markTap) keep(part []byte) {
	if m.long || len(m.line)+len(part) > maxLine {
		m.line, m.long = m.line[:0], true
		return
	}
	m.line = append(m.line, part...)
}

// ended hands the line just ended to the readers, when one wants it.
func (m *markTap) ended() {
	if !m.long && len(m.seen.lines) < maxLines && m.wanted() {
		m.seen.lines = append(m.seen.lines, string(m.line))
	}
	m.line, m.long = m.line[:0], false
}

func (m *markTap) wanted() bool {
	for _, r := range m.readers {
		if r.wants(m.line) {
			return true
		}
	}
	return false
}

// take returns the marks seen since the last take.
func (m *markTap) take() marks {
	seen := m.seen
	m.seen = marks{}
	return seen
}
