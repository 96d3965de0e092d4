package jenkins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Artifacts lists the relativePath of each file build n of job archived:
// '/'-separated below the build's artifact root, and untrusted, since it
// comes from the server. Jenkins re-lists the whole archive for it, so it
// is read once, never as part of a poll.
func (c *Client) Artifacts(ctx context.Context, job Job, n int) ([]string, error) {
	var b struct {
		Artifacts []struct {
			RelativePath string `json:"relativePath"`
		} `json:"artifacts"`
	}
	if err := c.getJSON(ctx, BuildPath(job, n)+"api/json", "artifacts[relativePath]", &b); err != nil {
		return nil, fmt.Errorf("list artifacts of %s #%d: %w", job.Name, n, err)
	}
	paths := make([]string, len(b.Artifacts))
	for i, a := range b.Artifacts {
		paths[i] = a.RelativePath
	}
	return paths, nil
}

// ArtifactPath is the escaped path of an artifact of build n below the base
// URL: each '/'-separated segment escaped on its own, so that a ';', which
// Jenkins refuses raw, becomes %3B.
func ArtifactPath(job Job, n int, relativePath string) string {
	segs := strings.Split(relativePath, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return BuildPath(job, n) + "artifact/" + strings.Join(segs, "/")
}

// ArtifactWriter receives an artifact as it arrives.
type ArtifactWriter interface {
	io.Writer
	// Restart drops everything written so far: the server sends the
	// whole file again, and the next Write is its first byte.
	Restart() error
}

// maxRedirects bounds the redirects one artifact request follows.
const maxRedirects = 5

// maxForeignFailures bounds how often a failing redirect target (such as
// an expired presigned URL) sends the download back to Jenkins.
const maxForeignFailures = 3

// DownloadArtifact streams artifact relativePath of build n to w, which
// already holds its first offset bytes, and returns the artifact's size.
//
// A broken transfer is retried under the GET policy and resumes with a
// Range request; a server that answers 200 instead of 206 sends the whole
// file, and w is restarted. The size is checked against Content-Length and
// Content-Range. Only a stretch without progress is bounded in time.
//
// Redirects are followed by hand, up to five. Once one leaves Jenkins'
// origin (scheme, host and port), no credentials, crumb or cookie go along;
// every attempt starts at Jenkins, so a presigned URL that expired is
// replaced by a fresh one.
func (c *Client) DownloadArtifact(ctx context.Context, job Job, n int, relativePath string, offset int64, w ArtifactWriter) (int64, error) {
	for _, s := range strings.Split(relativePath, "/") {
		if s == "" || s == "." || s == ".." {
			return 0, fmt.Errorf("download artifact %q of %s #%d: not a file path", relativePath, job.Name, n)
		}
	}
	d := &download{c: c, path: ArtifactPath(job, n, relativePath), w: w, offset: offset, size: -1}
	last := offset
	progressed := func() bool {
		moved := d.offset != last
		last = d.offset
		return moved
	}
	err := c.retryProgress(ctx, d.policy, func() error { return d.attempt(ctx) }, progressed)
	if err != nil {
		return d.offset, fmt.Errorf("download artifact %s of %s #%d: %w", relativePath, job.Name, n, err)
	}
	return d.offset, nil
}

// download is one artifact's transfer across its attempts.
type download struct {
	c      *Client
	path   string
	w      ArtifactWriter
	offset int64 // bytes w holds
	size   int64 // the whole file's, once a server said; -1 before
	// foreignFailures counts failed answers from redirect targets.
	foreignFailures int
}

// policy retries what the GET policy retries, and a redirect target's
// refusal a few times, since Jenkins hands out a fresh one.
func (d *download) policy(err error) (bool, time.Duration) {
	var fe *foreignError
	var he *HTTPError
	if errors.As(err, &fe) && errors.As(err, &he) && he.Status < 500 && d.foreignFailures < maxForeignFailures {
		d.foreignFailures++
		return true, 0
	}
	return retryable(err)
}

// foreignError is a failure at a redirect target outside Jenkins.
type foreignError struct{ err error }

func (e *foreignError) Error() string { return e.err.Error() + " (redirected from Jenkins)" }
func (e *foreignError) Unwrap() error { return e.err }

// attempt asks Jenkins for the rest of the file and follows its redirects.
func (d *download) attempt(ctx context.Context) error {
	u := d.c.endpoint(d.path, nil)
	own := true
	for hop := 0; ; hop++ {
		r := request{method: http.MethodGet, header: http.Header{}, deadline: d.c.streamDeadline()}
		if d.offset > 0 {
			r.header.Set("Range", "bytes="+strconv.FormatInt(d.offset, 10)+"-")
		}
		hc, shown := d.c.direct, Redact(u)
		if !own {
			// A presigned URL's query is its credential.
			hc, shown = d.c.foreign, redactForeign(u)
		}
		var next *url.URL
		err := d.c.exchange(ctx, hc, u, shown, own, r, func(resp *http.Response) error {
			if isRedirect(resp.StatusCode) {
				loc, err := u.Parse(resp.Header.Get("Location"))
				if err != nil || loc.Scheme != "http" && loc.Scheme != "https" || resp.Header.Get("Location") == "" {
					return &DecodeError{URL: shown, ContentType: resp.Header.Get("Content-Type"), Err: fmt.Errorf("redirect (%d) to an unusable Location", resp.StatusCode)}
				}
				next = loc
				return nil
			}
			return d.receive(resp, shown)
		})
		if err != nil {
			if !own {
				return &foreignError{err: err}
			}
			return err
		}
		if next == nil {
			return nil
		}
		if hop+1 >= maxRedirects {
			return &DecodeError{URL: shown, Err: fmt.Errorf("more than %d redirects", maxRedirects)}
		}
		// Once the chain has left Jenkins, nothing of Jenkins' follows it,
		// even back.
		own = own && sameOrigin(next, d.c.base)
		u = next
	}
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// redactForeign names a redirect target without its query, which for a
// presigned URL holds the signature.
func redactForeign(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}

// receive copies the file's bytes from one answer, resuming or restarting
// as the status says.
func (d *download) receive(resp *http.Response, shown string) error {
	bad := func(format string, args ...any) error {
		return &DecodeError{URL: shown, ContentType: resp.Header.Get("Content-Type"), Err: fmt.Errorf(format, args...)}
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		cr := resp.Header.Get("Content-Range")
		start, end, total, ok := parseContentRange(cr)
		if !ok || start != d.offset || end != total-1 {
			return bad("Content-Range %q does not continue the file at byte %d", cr, d.offset)
		}
		if resp.ContentLength >= 0 && resp.ContentLength != end-start+1 {
			return bad("Content-Length %d does not match Content-Range %q", resp.ContentLength, cr)
		}
		if d.size >= 0 && total != d.size {
			return bad("the file's size changed from %d to %d bytes between attempts", d.size, total)
		}
		d.size = total
	case http.StatusOK:
		if d.offset > 0 {
			if err := d.w.Restart(); err != nil {
				return err
			}
			d.offset = 0
		}
		d.size = resp.ContentLength // -1 when not said
	default:
		return bad("status %d instead of 200", resp.StatusCode)
	}
	body := io.Reader(resp.Body)
	if d.size >= 0 {
		// One byte more than announced shows a body that runs on.
		body = io.LimitReader(body, d.size-d.offset+1)
	}
	buf := make([]byte, 256<<10)
	_, err := io.CopyBuffer(&counter{w: d.w, n: &d.offset}, body, buf)
	switch {
	case err != nil:
		return err
	case d.size >= 0 && d.offset > d.size:
		return bad("the body runs past its announced %d bytes", d.size)
	case d.size >= 0 && d.offset < d.size:
		// Go checks Content-Length itself; this is the Content-Range
		// total of a body sent without a length.
		return io.ErrUnexpectedEOF
	}
	return nil
}

// counter advances n by what w took.
type counter struct {
	w io.Writer
	n *int64
}

func (c *counter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	*c.n += int64(k)
	return k, err
}

// parseContentRange reads "bytes START-END/TOTAL".
func parseContentRange(s string) (start, end, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, 0, false
	}
	var errs [3]error
	start, errs[0] = strconv.ParseInt(a, 10, 64)
	end, errs[1] = strconv.ParseInt(b, 10, 64)
	total, errs[2] = strconv.ParseInt(tot, 10, 64)
	if errors.Join(errs[:]...) != nil || start < 0 || end < start || total <= end {
		return 0, 0, 0, false
	}
	return start, end, total, true
}
