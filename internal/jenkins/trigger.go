package jenkins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/build"
)

// TriggerError is a trigger Jenkins refused or answered unusably.
type TriggerError struct {
	Job    string
	Reason string
	Err    error
}

func (e *TriggerError) Error() string {
	return fmt.Sprintf("job %s: %s", e.Job, e.Reason)
}

func (e *TriggerError) Unwrap() error { return e.Err }

// AnswerLostError means the trigger was sent but its answer never came, so
// Jenkins may or may not have queued a build. It must not be resent.
type AnswerLostError struct{ Err error }

func (e *AnswerLostError) Error() string {
	return "the trigger was sent but its answer was lost: " + e.Err.Error()
}

func (e *AnswerLostError) Unwrap() error { return e.Err }

// TriggerRequest is what to trigger a build with.
type TriggerRequest struct {
	Params []build.Param
	Files  []build.File
	// Parameterized says the job defines parameters: a trigger without any
	// must still go to buildWithParameters, since build wants a form then.
	Parameterized bool
	// ByToken sends the trigger through the Build Token Root plugin
	// (/buildByToken/), which lets a build token work for a caller who may
	// not read the job.
	ByToken bool
	// Cause is the note Jenkins records as the build's cause ("Started by
	// remote host … with note: …"); "" for none.
	Cause string
}

// Trigger queues a build of job and returns its queue item id. When ctx
// ends while a trigger is on its way, its answer is still awaited for
// Options.SettleTimeout, and a queue item it names is returned with no
// error: the caller, stopping, can then cancel it. It uses
// buildWithParameters, with the parameters in the body, for a job with
// parameters, and build otherwise; when it cannot tell and build answers
// 400, it tries buildWithParameters, since that 400 proves nothing was
// queued. The request is sent again only when Jenkins certainly did not act
// on it; an answer lost after sending is an *AnswerLostError.
func (c *Client) Trigger(ctx context.Context, job Job, tr TriggerRequest) (int, error) {
	withParams := tr.Parameterized || len(tr.Params)+len(tr.Files) > 0
	id, err := c.trigger(ctx, job, tr, withParams)
	if !withParams && errors.Is(err, errBadRequest) {
		return c.trigger(ctx, job, tr, true)
	}
	return id, err
}

func (c *Client) trigger(ctx context.Context, job Job, tr TriggerRequest, withParams bool) (int, error) {
	endpoint := "build"
	if withParams {
		endpoint = "buildWithParameters"
	}
	r := request{path: job.Path + endpoint, query: url.Values{}}
	if tr.ByToken {
		r.path = "/buildByToken/" + endpoint
		r.query.Set("job", job.Name)
	}
	if withParams {
		params, files := tr.Params, tr.Files
		boundary := multipart.NewWriter(nil).Boundary()
		r.body = func() (io.Reader, int64, error) { return formBody(params, files, boundary) }
		r.header = http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=UTF-8"}}
		if len(files) > 0 {
			r.header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
			r.deadline = c.streamDeadline()
		}
	}
	if c.opts.BuildToken != "" {
		r.query.Set("token", c.opts.BuildToken)
		// Jenkins reads a cause only beside the token. In the query it
		// reaches Jenkins whatever the body, multipart included.
		if tr.Cause != "" {
			r.query.Set("cause", tr.Cause)
		}
	}
	var location string
	var status int
	send := func() error {
		// Nothing is sent once ctx ended; what was sent may still settle.
		if err := ctx.Err(); err != nil {
			return err
		}
		sendCtx, cancel := c.settleContext(ctx)
		defer cancel()
		return c.post(sendCtx, r, func(resp *http.Response) error {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			// Jenkins never answers a trigger with a page of 200; post
			// has already judged a redirect.
			if resp.StatusCode == http.StatusOK && !fromJenkins(resp, body) {
				return c.frontDoor(http.MethodPost, Redact(resp.Request.URL), resp, body)
			}
			status, location = resp.StatusCode, resp.Header.Get("Location")
			return nil
		})
	}
	if err := c.retry(ctx, notSentPolicy, send); err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		return 0, c.triggerFailure(job, err)
	}
	switch status {
	case http.StatusCreated, http.StatusSeeOther:
		id, ok := queueIDFromLocation(location)
		if !ok {
			return 0, &TriggerError{Job: job.Name, Reason: fmt.Sprintf("Jenkins answered %d but its Location %q is not a queue item", status, location)}
		}
		return id, nil
	case http.StatusFound:
		return 0, &TriggerError{Job: job.Name, Reason: "Jenkins refused to queue the build (302 to the job page; a multibranch project cannot be built, name one of its branches)"}
	}
	return 0, &TriggerError{Job: job.Name, Reason: fmt.Sprintf("unexpected answer %d to the trigger", status)}
}

// settleContext is the context one trigger attempt is sent in: it ends
// SettleTimeout after ctx does, so that ending ctx does not cut off an
// answer that names the queue item the trigger created.
func (c *Client) settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	send, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var mu sync.Mutex
	var settle *time.Timer
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if send.Err() == nil {
			settle = time.AfterFunc(c.opts.SettleTimeout, cancel)
		}
	})
	return send, func() {
		stop()
		cancel()
		mu.Lock()
		defer mu.Unlock()
		if settle != nil {
			settle.Stop()
		}
	}
}

// triggerFailure explains why Jenkins refused a trigger.
func (c *Client) triggerFailure(job Job, err error) error {
	var he *HTTPError
	var ue *UnreachableError
	var fd *FrontDoorError
	if errors.As(err, &ue) || errors.As(err, &fd) {
		// Neither reached Jenkins: nothing was queued.
		return err
	}
	if !errors.As(err, &he) {
		if NotSent(err) || isCertificateError(err) {
			return fmt.Errorf("cannot reach Jenkins: %w", err)
		}
		return &AnswerLostError{Err: err}
	}
	if he.Status == http.StatusBadGateway || he.Status == http.StatusGatewayTimeout {
		// A proxy's gateway error does not say whether Jenkins got the
		// trigger before the proxy gave up on it.
		return &AnswerLostError{Err: err}
	}
	reason := fmt.Sprintf("Jenkins refused the trigger (%d)", he.Status)
	switch he.Status {
	case http.StatusBadRequest:
		reason = "Jenkins refused the trigger as a bad request (400); is the job parameterized, and is it a job that can be built?"
	case http.StatusUnauthorized:
		// The command's error line names the user and what to check.
		reason = "Jenkins refused the credentials (401)"
	case http.StatusForbidden:
		reason = "Jenkins refused the trigger (403): the user may not build this job, or build_token is wrong"
	case http.StatusNotFound:
		reason = "no such job, or the user may not see it (404)"
		if strings.Contains(he.URL, "/buildByToken/") {
			reason = "no such job, no build token configured on it, or no Build Token Root plugin on this Jenkins (404); a build token alone needs that plugin when the job cannot be read anonymously"
		}
	case http.StatusMethodNotAllowed:
		reason = "Jenkins refused the trigger (405): the user has no Build permission and no build token was given"
	case http.StatusConflict:
		reason = "the job is disabled or cannot be built (409)"
	case http.StatusInternalServerError:
		reason = "Jenkins failed on the trigger (500)"
	}
	if he.Body != "" && he.Status != http.StatusNotFound {
		reason += ": " + he.Body
	}
	var gu *GiveUpError
	if errors.As(err, &gu) {
		reason += fmt.Sprintf(" (giving up after %d attempts over %s)", gu.Attempts, roundDuration(gu.Over))
	}
	return &TriggerError{Job: job.Name, Reason: reason, Err: err}
}

var queueLocation = regexp.MustCompile(`/queue/item/(\d+)/?$`)

// queueIDFromLocation reads the queue item id from a trigger's Location. Only
// the id is used: the host is the one the request reached, which may differ
// from the configured base URL behind a proxy.
func queueIDFromLocation(loc string) (int, bool) {
	u, err := url.Parse(loc)
	if err != nil {
		return 0, false
	}
	m := queueLocation.FindStringSubmatch(u.Path)
	if m == nil {
		return 0, false
	}
	id, err := strconv.Atoi(m[1])
	return id, err == nil && id > 0
}

// formBody renders the parameters as a urlencoded body, or, with files, as
// a multipart body that streams each file from disk. The multipart length
// is known in advance from the files' sizes, so no chunked encoding is
// needed and the upload can be retried with a fresh body.
func formBody(params []build.Param, files []build.File, boundary string) (io.Reader, int64, error) {
	if len(files) == 0 {
		v := url.Values{}
		for _, p := range params {
			v.Add(p.Name, p.Value)
		}
		s := v.Encode()
		return strings.NewReader(s), int64(len(s)), nil
	}
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, 0, err
	}
	for _, p := range params {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"`, quote(p.Name)))
		h.Set("Content-Type", "text/plain; charset=UTF-8")
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, 0, err
		}
		io.WriteString(w, p.Value)
	}
	var parts []io.Reader
	var total int64
	for _, f := range files {
		fh, err := os.Open(f.Path)
		if err != nil {
			closeAll(parts)
			return nil, 0, fmt.Errorf("file parameter %s: %w", f.Name, err)
		}
		st, err := fh.Stat()
		if err != nil {
			fh.Close()
			closeAll(parts)
			return nil, 0, fmt.Errorf("file parameter %s: %w", f.Name, err)
		}
		base := filepath.Base(f.Path)
		h := textproto.MIMEHeader{}
		// filename* carries non-ASCII names for servers that read RFC 5987.
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"; filename*=UTF-8''%s`,
			quote(f.Name), quote(base), url.PathEscape(base)))
		h.Set("Content-Type", "application/octet-stream")
		if _, err := mw.CreatePart(h); err != nil {
			fh.Close()
			closeAll(parts)
			return nil, 0, err
		}
		seg := bytes.Clone(head.Bytes())
		head.Reset()
		parts = append(parts, bytes.NewReader(seg), &exactFile{f: fh, left: st.Size(), name: f.Name})
		total += int64(len(seg)) + st.Size()
	}
	if err := mw.Close(); err != nil {
		closeAll(parts)
		return nil, 0, err
	}
	parts = append(parts, bytes.NewReader(head.Bytes()))
	total += int64(head.Len())
	return &multiBody{Reader: io.MultiReader(parts...), parts: parts}, total, nil
}

// multiBody lets the HTTP client close the files of an upload it abandons.
type multiBody struct {
	io.Reader
	parts []io.Reader
}

func (m *multiBody) Close() error {
	closeAll(m.parts)
	return nil
}

func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(s)
}

func closeAll(rs []io.Reader) {
	for _, r := range rs {
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
	}
}

// exactFile yields exactly the size announced in Content-Length and closes
// the file at its end, failing if the file shrank meanwhile.
type exactFile struct {
	f    *os.File
	left int64
	name string
}

func (e *exactFile) Read(p []byte) (int, error) {
	if e.left <= 0 {
		e.f.Close()
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.f.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		e.f.Close()
		return n, fmt.Errorf("file parameter %s: file shrank while uploading", e.name)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

func (e *exactFile) Close() error { return e.f.Close() }
