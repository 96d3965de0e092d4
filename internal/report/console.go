package report

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// lineWriter passes consoles through and remembers whether the last one
// stopped in the middle of a line, so that the tool's own lines never start
// in the middle of one of a build's. Its reporter's lock guards it.
type lineWriter struct {
	w   io.Writer
	mid bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.mid = p[n-1] != '\n'
	}
	return n, err
}

func (l *lineWriter) endLine() {
	if l.mid {
		fmt.Fprintln(l.w)
		l.mid = false
	}
}

// scrubber hides secrets in a console as it streams, where no runner masks
// them. A secret cut across two writes is still caught: it holds back the
// end of a write only while that could begin a form of one, fewer bytes
// than the longest form, and passes the rest on at once.
type scrubber struct {
	masks *masker
	held  []byte
	out   []byte
}

// scrub returns p with secrets replaced, less what it holds back; final
// gives back all it holds. What it returns is valid until the next call.
func (s *scrubber) scrub(p []byte, final bool) []byte {
	if s == nil {
		return p
	}
	set := s.masks.secrets()
	if len(s.held) == 0 && set.Longest() == 0 {
		return p
	}
	data := p
	if len(s.held) > 0 {
		s.held = append(s.held, p...)
		data = s.held
	}
	var used int
	s.out, used = set.Scrub(s.out[:0], data, final)
	s.held = append(s.held[:0], data[used:]...)
	return s.out
}

// sole is the step's only console: its text goes through as it comes, a
// partial line included, so that a progress bar shows as it grows.
type sole struct {
	mu     *sync.Mutex
	w      io.Writer
	scrub  *scrubber // nil on GitHub, whose runner masks
	closed func()
}

func (s *sole) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(s.scrub.scrub(p, false)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes out what the scrubber held back.
func (s *sole) Close() error {
	var err error
	s.mu.Lock()
	if rest := s.scrub.scrub(nil, true); len(rest) > 0 {
		_, err = s.w.Write(rest)
	}
	s.mu.Unlock()
	if s.closed != nil {
		s.closed()
	}
	return err
}

// maxHeld bounds the partial line a labelled console holds back: a build
// that writes a long line without a new line (a progress bar, a binary
// blob) has it shown in pieces, each on a line of its own, rather than
// kept in memory whole.
const maxHeld = 64 << 10

// labelled is one of several consoles streamed at once: it writes whole
// lines, each after its label, and holds back a partial line until its end
// comes (or it grows past maxHeld, or the console closes).
type labelled struct {
	prefix []byte
	mu     *sync.Mutex
	w      *lineWriter
	scrub  *scrubber // nil on GitHub, whose runner masks
	held   []byte
	// closed, when set, runs once the console is closed.
	closed func()
}

func newLabelled(label string, mu *sync.Mutex, w *lineWriter, closed func()) *labelled {
	return &labelled{prefix: []byte(label + " | "), mu: mu, w: w, closed: closed}
}

func (l *labelled) Write(p []byte) (int, error) {
	if err := l.write(l.scrub.scrub(p, false)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (l *labelled) write(p []byte) error {
	rest := p
	var out []byte
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		out = l.line(out, rest[:i])
		rest = rest[i+1:]
	}
	l.held = append(l.held, rest...)
	if len(l.held) >= maxHeld {
		out = l.line(out, nil)
	}
	if len(out) == 0 {
		return nil
	}
	return l.emit(out)
}

// line appends the held text and tail to out as one labelled line.
func (l *labelled) line(out, tail []byte) []byte {
	out = append(out, l.prefix...)
	out = append(out, l.held...)
	out = append(out, tail...)
	l.held = l.held[:0]
	return append(out, '\n')
}

func (l *labelled) emit(out []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.endLine()
	_, err := l.w.Write(out)
	return err
}

// Close writes out what the scrubber held back and a partial last line.
func (l *labelled) Close() error {
	err := l.write(l.scrub.scrub(nil, true))
	if len(l.held) > 0 && err == nil {
		err = l.emit(l.line(nil, nil))
	}
	if l.closed != nil {
		l.closed()
	}
	return err
}
