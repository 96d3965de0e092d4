package jenkinstest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"math/bits"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The console log is never materialized. A build's log is a time-ordered
// list of small pieces (the lines the fake writes and the script's lines)
// interleaved with synthetic lines of fixed length whose content and
// timing are computed from their index. For a request, view() lays those
// out as byte segments at the build's current time, and any byte range is
// then generated on the fly: O(pieces) work and O(1) memory, whatever the
// size of the log.

// maxLinesRead is LargeText.MAX_LINES_READ: a running build's progressive
// answer holds at most this many lines.
const maxLinesRead = 10000

// synLineLen is the length of a synthetic line, newline included.
const synLineLen = 100

// piece is text written at one moment.
type piece struct {
	at   time.Duration // from the build start
	text string
	note bool // a ConsoleNote: in the file, not in plain-text answers
}

type consoleLog struct {
	b      *build
	header int     // pieces[:header] are the fake's opening lines
	pieces []piece // in time order
	synN   int64   // number of synthetic lines
	synEnd int64   // length of the last synthetic line
}

// note returns a ConsoleNote escape sequence, like the serialized and
// base64-encoded annotations Jenkins embeds in logs.
func note(seed string) piece {
	sum := sha256.Sum256([]byte(seed))
	payload := slices.Repeat(sum[:], 4)
	return piece{note: true, text: "\x1b[8mha:////4" + base64.StdEncoding.EncodeToString(payload) + "\x1b[0m"}
}

func newConsoleLog(b *build) *consoleLog {
	l := &consoleLog{b: b}
	add := func(ps ...piece) {
		for _, p := range ps {
			p.at = b.script.LogDelay
			l.pieces = append(l.pieces, p)
		}
	}
	c := b.item.cause
	switch {
	case c.upstream != nil:
		add(c.upstream.console()...)
	case c.remote:
		add(piece{text: c.shortDescription() + "\n"})
	default:
		add(piece{text: "Started by user "}, note("user "+c.userName()), piece{text: c.userName() + "\n"})
	}
	for _, u := range c.folded {
		add(u.console()...)
	}
	ws := "/var/jenkins_home/workspace/" + b.job.fullName()
	if b.job.spec.Pipeline {
		add(note("start"), piece{text: "[Pipeline] Start of Pipeline\n"},
			note("node"), piece{text: "[Pipeline] node\n"},
			piece{text: "Running on Jenkins in " + ws + "\n"},
			note("{"), piece{text: "[Pipeline] {\n"})
	} else {
		add(piece{text: "Running as SYSTEM\n"}, piece{text: "Building in workspace " + ws + "\n"})
	}
	l.header = len(l.pieces)
	lines := slices.Clone(b.script.Log)
	slices.SortStableFunc(lines, func(a, b LogLine) int { return int(a.At - b.At) })
	for _, ln := range lines {
		at := max(ln.At, b.script.LogDelay)
		if b.job.spec.Pipeline && strings.HasPrefix(ln.Text, "[Pipeline] ") {
			// Pipeline step lines carry a note, as in real logs.
			n := note(ln.Text)
			n.at = at
			l.pieces = append(l.pieces, n)
		}
		text := ln.Text
		if !ln.Partial {
			text += "\n"
		}
		l.pieces = append(l.pieces, piece{at: at, text: text})
	}
	l.pieces = append(l.pieces[:l.header], b.downstreamPieces(b.pipelinePieces(l.pieces[l.header:]))...)
	if n := b.script.SyntheticLog; n > 0 {
		l.synN = (n + synLineLen - 1) / synLineLen
		l.synEnd = n - (l.synN-1)*synLineLen
	}
	return l
}

// tail returns the pieces written when the build is stopped and when it
// completes.
func (l *consoleLog) tail() []piece {
	b := l.b
	_, complete := b.phases()
	var out []piece
	if b.stopped {
		at := b.stopAt.Sub(b.start)
		if !b.job.spec.Pipeline {
			out = append(out, piece{at: at, text: "Build was aborted\n"})
		}
		out = append(out, piece{at: at, text: "Aborted by " + b.stopBy + "\n"})
	}
	atEnd := func(ps ...piece) {
		for _, p := range ps {
			p.at = complete
			out = append(out, p)
		}
	}
	if b.job.spec.Pipeline {
		atEnd(b.unwindPieces()...)
		for _, t := range []string{"[Pipeline] }", "[Pipeline] // node", "[Pipeline] End of Pipeline"} {
			atEnd(note(t), piece{text: t + "\n"})
		}
		atEnd(b.rejectionPieces()...)
	}
	atEnd(piece{text: "Finished: " + b.finalResult() + "\n"})
	return out
}

// synCount is how many synthetic lines exist t after the start: they are
// spread evenly over the building phase, line i at Duration*(i+1)/N.
func (l *consoleLog) synCount(t time.Duration) int64 {
	d := l.b.script.Duration
	if l.synN == 0 {
		return 0
	}
	t = l.b.scriptOffset(t) // pauses for input stop the script's clock
	if d <= 0 || t >= d {
		return l.synN
	}
	if t <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(t), uint64(l.synN))
	q, _ := bits.Div64(hi, lo, uint64(d))
	return int64(q)
}

// segment is a run of the raw log: a piece, or synthetic lines
// [first, first+count).
type segment struct {
	off, size int64
	piece     piece
	syn       bool
	first     int64
}

type logView struct {
	l        *consoleLog
	segs     []segment
	size     int64
	complete bool
}

// view lays out the log as it is at now.
func (l *consoleLog) view(now time.Time) *logView {
	b := l.b
	rel := now.Sub(b.start)
	_, complete := b.phases()
	cut := min(rel, complete)
	if b.stopped {
		cut = min(cut, b.stopAt.Sub(b.start))
	}
	v := &logView{l: l, complete: rel >= complete}
	var synDone int64
	emitSyn := func(upTo int64) {
		if upTo <= synDone {
			return
		}
		size := (upTo - synDone) * synLineLen
		if upTo == l.synN {
			size -= synLineLen - l.synEnd
		}
		v.segs = append(v.segs, segment{off: v.size, size: size, syn: true, first: synDone})
		v.size += size
		synDone = upTo
	}
	emit := func(p piece) {
		v.segs = append(v.segs, segment{off: v.size, size: int64(len(p.text)), piece: p})
		v.size += int64(len(p.text))
	}
	for i, p := range l.pieces {
		if p.at > cut {
			break
		}
		if i >= l.header { // synthetic lines never precede the opening lines
			emitSyn(l.synCount(p.at))
		}
		emit(p)
	}
	if rel >= b.script.LogDelay {
		emitSyn(l.synCount(cut))
	}
	for _, p := range l.tail() {
		if p.at <= rel {
			emit(p)
		}
	}
	return v
}

// synLine appends synthetic line i to dst.
func (l *consoleLog) synLine(dst []byte, i int64) []byte {
	const filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua"
	start := len(dst)
	dst = append(dst, "[synthetic "...)
	var buf [20]byte
	num := strconv.AppendInt(buf[:0], i, 10) // no allocation per line
	for range 12 - len(num) {
		dst = append(dst, '0')
	}
	dst = append(dst, num...)
	dst = append(dst, "] "...)
	dst = append(dst, filler...)
	n := synLineLen
	if i == l.synN-1 {
		n = int(l.synEnd)
	}
	dst = dst[:start+n-1]
	return append(dst, '\n')
}

// first returns the index of the first segment that ends after off.
func (v *logView) first(off int64) int {
	return sort.Search(len(v.segs), func(i int) bool { return v.segs[i].off+v.segs[i].size > off })
}

// bodyEnd is where a running build's progressive answer stops: after the
// last complete line, and after at most maxLines lines from start. A
// partial last line is withheld until its newline is written.
func (v *logView) bodyEnd(start int64, maxLines int64) int64 {
	end, lines := start, int64(0)
	for _, sg := range v.segs[v.first(start):] {
		lo := max(start-sg.off, 0)
		if !sg.syn {
			text := sg.piece.text
			for i := lo; i < sg.size; i++ {
				if text[i] == '\n' {
					lines++
					end = sg.off + i + 1
					if lines == maxLines {
						return end
					}
				}
			}
			continue
		}
		// Every synthetic line ends with its newline; line k of the segment
		// ends at off+(k+1)*synLineLen, the log's very last one earlier.
		count := (sg.size + synLineLen - 1) / synLineLen
		k0 := lo / synLineLen
		if avail := count - k0; lines+avail >= maxLines {
			k := k0 + maxLines - lines - 1
			return min(sg.off+(k+1)*synLineLen, sg.off+sg.size)
		} else {
			lines += avail
		}
		end = sg.off + sg.size
	}
	return end
}

// write writes the raw bytes [from, to) to w, without console notes unless
// notes is set. Each note is written in two halves with a flush between
// them, so that clients meet notes split across reads.
func (v *logView) write(w io.Writer, from, to int64, notes bool, flush func()) error {
	var scratch []byte
	for _, sg := range v.segs[v.first(from):] {
		if sg.off >= to {
			break
		}
		lo, hi := max(from-sg.off, 0), min(to-sg.off, sg.size)
		if !sg.syn {
			if sg.piece.note && !notes {
				continue
			}
			text := sg.piece.text[lo:hi]
			if sg.piece.note && flush != nil {
				mid := len(text) / 2
				if _, err := io.WriteString(w, text[:mid]); err != nil {
					return err
				}
				flush()
				text = text[mid:]
			}
			if _, err := io.WriteString(w, text); err != nil {
				return err
			}
			continue
		}
		for i := sg.first + lo/synLineLen; lo < hi; i++ {
			lineStart := (i - sg.first) * synLineLen
			scratch = v.l.synLine(scratch[:0], i)
			part := scratch[lo-lineStart : min(hi-lineStart, int64(len(scratch)))]
			if _, err := w.Write(part); err != nil {
				return err
			}
			lo += int64(len(part))
		}
	}
	return nil
}

// crlfWriter is LineEndNormalizingWriter: LF becomes CRLF.
type crlfWriter struct {
	w      *bufio.Writer
	lastCR bool
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.lastCR = p[len(p)-1] == '\r'
			_, err := c.w.Write(p)
			return n, err
		}
		cr := c.lastCR
		if i > 0 {
			cr = p[i-1] == '\r'
		}
		if _, err := c.w.Write(p[:i]); err != nil {
			return 0, err
		}
		if !cr {
			if err := c.w.WriteByte('\r'); err != nil {
				return 0, err
			}
		}
		if err := c.w.WriteByte('\n'); err != nil {
			return 0, err
		}
		c.lastCR, p = false, p[i+1:]
	}
	return n, nil
}

// progressiveText is LargeText.doProgressText.
func (s *Server) progressiveText(rq *request, b *build) *response {
	v := b.console().view(rq.now)
	resp := newResponse(http.StatusOK, "text/plain;charset=UTF-8", nil)
	if v.size == 0 { // no log file yet
		resp.header.Set("X-Text-Size", "0")
		resp.header.Set("X-More-Data", "true")
		return resp
	}
	var start int64
	if q := rq.r.URL.Query().Get("start"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			return serverError("java.lang.NumberFormatException: For input string: \"" + q + "\"")
		}
		start = n
	}
	if start < 0 || start > v.size { // "rolled over"
		start = 0
	}
	end := v.size
	if !v.complete {
		end = v.bodyEnd(start, maxLinesRead)
		resp.header.Set("X-More-Data", "true")
	}
	resp.header.Set("X-Text-Size", strconv.FormatInt(end, 10))
	notes := s.opts.RawConsoleNotes && !s.opts.Legacy
	resp.stream = func(w io.Writer, flush func()) error {
		bw := bufio.NewWriterSize(w, 32<<10)
		mid := func() {
			_ = bw.Flush()
			flush()
		}
		if err := v.write(&crlfWriter{w: bw}, start, end, notes, mid); err != nil {
			return err
		}
		return bw.Flush()
	}
	return resp
}

// consoleText is the whole log as it is now, notes stripped, LF kept.
func (s *Server) consoleText(rq *request, b *build) *response {
	v := b.console().view(rq.now)
	resp := newResponse(http.StatusOK, "text/plain;charset=UTF-8", nil)
	resp.stream = func(w io.Writer, _ func()) error {
		bw := bufio.NewWriterSize(w, 32<<10)
		if err := v.write(bw, 0, v.size, false, nil); err != nil {
			return err
		}
		return bw.Flush()
	}
	return resp
}
