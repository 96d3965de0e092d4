package jenkins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// LogChunk tells where the console stands after one progressiveText read.
type LogChunk struct {
	// Next is the offset to ask for next (Jenkins' X-Text-Size: a byte
	// offset into the raw log, not a count of the bytes received).
	Next int64
	// More is Jenkins' X-More-Data: the log may still grow.
	More bool
	// Bytes is how much console this read delivered.
	Bytes int64
}

// maxTextSize bounds the X-Text-Size believed: no console reaches a
// pebibyte, and the bound keeps the arithmetic below far from overflow.
const maxTextSize = 1 << 50

// consoleLimit bounds the body of an answer whose X-Text-Size is next, so
// that a body that never ends is cut off. The body holds at most the raw
// bytes [0, next), each LF widened to CRLF and, for a log not in UTF-8,
// each byte to a three-byte replacement; 8x and a margin leave room.
func consoleLimit(next int64) int64 { return 8*next + 1<<20 }

// ProgressiveText copies the console of build n from offset start to w. A
// read that fails midway is retried, and what w already received is not
// written again.
func (c *Client) ProgressiveText(ctx context.Context, job Job, n int, start int64, w io.Writer) (LogChunk, error) {
	path := BuildPath(job, n) + "logText/progressiveText"
	q := url.Values{"start": {strconv.FormatInt(start, 10)}}
	r := request{method: http.MethodGet, path: path, query: q, deadline: c.consoleDeadline()}
	var chunk LogChunk
	err := c.retry(ctx, retryable, func() error {
		return c.do(ctx, r, func(resp *http.Response) error {
			if resp.StatusCode != http.StatusOK {
				if c.leavesJenkins(resp) {
					return c.frontDoor(http.MethodGet, Redact(c.endpoint(path, q)), resp, nil)
				}
				return &DecodeError{URL: Redact(c.endpoint(path, q)), ContentType: resp.Header.Get("Content-Type"), Err: fmt.Errorf("status %d instead of 200", resp.StatusCode)}
			}
			size := resp.Header.Values("X-Text-Size")
			if len(size) == 0 {
				// Jenkins sends no X-Jenkins with the console either; an
				// answer without X-Text-Size that has one is Jenkins' own.
				if resp.Header.Get("X-Jenkins") == "" {
					body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
					return c.frontDoor(http.MethodGet, Redact(c.endpoint(path, q)), resp, body)
				}
				return &DecodeError{URL: Redact(c.endpoint(path, q)), ContentType: resp.Header.Get("Content-Type"), Err: errors.New("no X-Text-Size, so not a console answer")}
			}
			next, err := strconv.ParseInt(size[0], 10, 64)
			if err != nil || next < 0 || next > maxTextSize {
				return &DecodeError{URL: Redact(c.endpoint(path, q)), ContentType: resp.Header.Get("Content-Type"), Err: fmt.Errorf("bad X-Text-Size %q", resp.Header.Get("X-Text-Size"))}
			}
			chunk.Next, chunk.More = next, resp.Header.Get("X-More-Data") == "true"
			// An earlier attempt for the same offset already delivered a
			// prefix of this body.
			if _, err := io.CopyN(io.Discard, resp.Body, chunk.Bytes); err != nil {
				return noEOF(err)
			}
			limit := consoleLimit(next)
			m, err := io.Copy(w, io.LimitReader(resp.Body, max(limit-chunk.Bytes, 0)))
			chunk.Bytes += m
			if err != nil {
				return err
			}
			if k, _ := io.ReadFull(resp.Body, make([]byte, 1)); k > 0 {
				return &DecodeError{URL: Redact(c.endpoint(path, q)), ContentType: resp.Header.Get("Content-Type"),
					Err: fmt.Errorf("the console answer goes on past %d bytes, more than its X-Text-Size of %d allows", limit, next)}
			}
			return nil
		})
	})
	if err != nil {
		return chunk, fmt.Errorf("read console of %s #%d: %w", job.Name, n, err)
	}
	return chunk, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ConsoleFilter turns Jenkins' progressiveText bodies back into the build's
// own output: it undoes the LF to CRLF conversion and drops ConsoleNote
// sequences (ESC[8mha:<base64>ESC[0m), which Jenkins 2.509 and later leave
// in. Either may be split across reads, so a possible start is held back
// until the next Write or Flush. ANSI colours are kept.
type ConsoleFilter struct {
	w    io.Writer
	held []byte
}

// NewConsoleFilter returns a filter writing to w.
func NewConsoleFilter(w io.Writer) *ConsoleFilter { return &ConsoleFilter{w: w} }

var (
	notePrefix = []byte("\x1b[8mha:")
	noteSuffix = []byte("\x1b[0m")
)

// maxNote bounds how much of a would-be note is held back before it is
// treated as plain text.
const maxNote = 1 << 20

// Write filters p; it reports len(p) written when the output took it all.
func (f *ConsoleFilter) Write(p []byte) (int, error) {
	buf := p
	if len(f.held) > 0 {
		buf = append(f.held, p...)
		f.held = nil
	}
	out := make([]byte, 0, len(buf))
	i := 0
	for i < len(buf) {
		j := bytes.IndexAny(buf[i:], "\r\x1b")
		if j < 0 {
			out = append(out, buf[i:]...)
			break
		}
		out = append(out, buf[i:i+j]...)
		i += j
		switch buf[i] {
		case '\r':
			if i+1 == len(buf) {
				f.held = append(f.held, '\r')
				i++
				continue
			}
			if buf[i+1] == '\n' {
				out = append(out, '\n')
				i += 2
				continue
			}
			out = append(out, '\r')
			i++
		case '\x1b':
			n, status := matchNote(buf[i:])
			switch status {
			case noteFound:
				i += n
			case noteMaybe:
				if len(buf)-i <= maxNote {
					f.held = append(f.held, buf[i:]...)
					i = len(buf)
					continue
				}
				out = append(out, '\x1b')
				i++
			default:
				out = append(out, '\x1b')
				i++
			}
		}
	}
	if _, err := f.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes out whatever is held back, at the end of the console.
func (f *ConsoleFilter) Flush() error {
	if len(f.held) == 0 {
		return nil
	}
	_, err := f.w.Write(f.held)
	f.held = nil
	return err
}

type noteStatus int

const (
	noteNone noteStatus = iota
	noteMaybe
	noteFound
)

// matchNote checks whether b starts with a console note, returning its
// length when it does.
func matchNote(b []byte) (int, noteStatus) {
	if len(b) < len(notePrefix) {
		if bytes.HasPrefix(notePrefix, b) {
			return 0, noteMaybe
		}
		return 0, noteNone
	}
	if !bytes.HasPrefix(b, notePrefix) {
		return 0, noteNone
	}
	for i := len(notePrefix); i < len(b); i++ {
		c := b[i]
		if isBase64(c) {
			continue
		}
		if c != '\x1b' {
			return 0, noteNone
		}
		rest := b[i:]
		if len(rest) < len(noteSuffix) {
			if bytes.HasPrefix(noteSuffix, rest) {
				return 0, noteMaybe
			}
			return 0, noteNone
		}
		if bytes.HasPrefix(rest, noteSuffix) {
			return i + len(noteSuffix), noteFound
		}
		return 0, noteNone
	}
	return 0, noteMaybe
}

func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}
