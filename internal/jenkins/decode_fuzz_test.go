package jenkins

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// decodeAs decodes body as the client decodes an api/json answer from
// Jenkins, which marks those with X-Jenkins.
func decodeAs(body []byte, contentType string, v any) error {
	return decodeAnswer("https://ci.example.com/jenkins/queue/item/1/api/json", body, contentType, v)
}

// decodeAnswer decodes body as the client decodes Jenkins' answer from u.
func decodeAnswer(u string, body []byte, contentType string, v any) error {
	parsed, _ := url.Parse(u)
	resp := &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {contentType}, "X-Jenkins": {"2.528.1"}},
		Body:       io.NopCloser(bytes.NewReader(body)),
		Request:    &http.Request{Method: http.MethodGet, URL: parsed},
	}
	base, _ := url.Parse("https://ci.example.com/jenkins")
	return New(base, http.DefaultClient, Options{}).decodeJSON(resp, parsed, v)
}

// checkDecoded holds for whatever a Jenkins answer decodes into: an error
// is one line and never retried, and a success is valid JSON that survives
// a round trip.
func checkDecoded[T any](t *testing.T, body []byte, v *T, err error) {
	t.Helper()
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("error %T is not a *DecodeError: %v", err, err)
		}
		if retry, _ := retryable(err); retry {
			t.Fatalf("unusable answer would be retried: %v", err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("error is not one line: %q", err)
		}
		return
	}
	if !json.Valid(body) {
		t.Fatalf("invalid JSON %q accepted", body)
	}
	again, _ := json.Marshal(v)
	var w T
	if err := json.Unmarshal(again, &w); err != nil || !reflect.DeepEqual(*v, w) {
		t.Fatalf("round trip changed %+v into %+v (%v)", *v, w, err)
	}
}

var decodeSeeds = []string{
	`{"_class":"hudson.model.Queue$LeftItem","blocked":false,"buildable":false,"id":412,"inQueueSince":1718000000000,"stuck":false,"why":null,"cancelled":false,"executable":{"_class":"hudson.model.FreeStyleBuild","number":57,"url":"https://ci.example.com/job/demo/57/"}}`,
	`{"_class":"hudson.model.Queue$WaitingItem","id":3,"why":"In the quiet period. Expires in 4.9 sec","timestamp":1718000005000}`,
	`{"_class":"hudson.model.Queue$LeftItem","id":4,"cancelled":true,"executable":null}`,
	`{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","building":true,"duration":0,"estimatedDuration":93512,"inProgress":true,"number":57,"queueId":412,"result":null,"timestamp":1718000005321}`,
	`{"building":false,"number":1,"result":"SUCCESS","duration":20000}`,
	`{"id":1e400}`, `{"number":-1,"id":"x"}`, `{"why":"\u0000\ud800"}`, `[]`, `null`, `{"id":1`, `<html><body>Login</body></html>`, "",
}

func FuzzDecodeQueueItem(f *testing.F) {
	types := []string{"application/json;charset=UTF-8", "text/html;charset=utf-8", "application/json; charset=\"", "APPLICATION/JSON", ""}
	for i, s := range decodeSeeds {
		f.Add([]byte(s), types[i%len(types)])
	}
	// The content type varies too: a proxy's page must never pass for JSON.
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		if strings.ContainsAny(contentType, "\r\n") {
			t.Skip("net/http never delivers a header with a line break")
		}
		var q QueueItem
		err := decodeAs(body, contentType, &q)
		checkDecoded(t, body, &q, err)
		if err != nil {
			return
		}
		if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/json" {
			t.Fatalf("decoded an answer of type %q", contentType)
		}
		if q.Left() != (q.Cancelled != nil) {
			t.Fatalf("Left() disagrees with cancelled: %+v", q)
		}
		if q.Executable != nil && q.Executable.Number <= 0 {
			t.Fatalf("accepted build #%d", q.Executable.Number)
		}
	})
}

func FuzzDecodeBuild(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b Build
		err := decodeAs(body, "application/json;charset=UTF-8", &b)
		checkDecoded(t, body, &b, err)
		if err != nil {
			return
		}
		if b.Finished() && (b.Building || b.InProgress != nil && *b.InProgress) {
			t.Fatalf("finished while building: %+v", b)
		}
		if b.Number <= 0 || b.Duration < 0 {
			t.Fatalf("accepted build #%d of duration %d", b.Number, b.Duration)
		}
	})
}
