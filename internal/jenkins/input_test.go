package jenkins

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
)

// pausedBuild is a Pipeline build paused in two parallel branches, as read
// with inputTree from input-step 466 or later; a third input is settled.
const pausedBuild = `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","actions":[
{"_class":"hudson.model.CauseAction"},{},
{"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputAction","waitingForInput":true,"executions":[
 {"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputStepExecution","id":"Approve","settled":false,"input":{"id":"Approve","message":"Deploy to production?","ok":"Ship it","cancel":"Not now","submitter":"alice,ops","parameters":[
  {"_class":"hudson.model.StringParameterDefinition","name":"TAG","type":"StringParameterDefinition","description":"Release tag","defaultParameterValue":{"_class":"hudson.model.StringParameterValue","value":"v1.2"}},
  {"_class":"hudson.model.BooleanParameterDefinition","name":"DRY_RUN","type":"BooleanParameterDefinition","description":"","defaultParameterValue":{"_class":"hudson.model.BooleanParameterValue","value":false}},
  {"_class":"hudson.model.ChoiceParameterDefinition","name":"REGION","type":"ChoiceParameterDefinition","description":null,"choices":["eu-west-1","us-east-1"],"defaultParameterValue":{"_class":"hudson.model.StringParameterValue","value":"eu-west-1"}},
  {"_class":"hudson.model.PasswordParameterDefinition","name":"PASS","type":"PasswordParameterDefinition","description":"","defaultParameterValue":{"_class":"hudson.model.PasswordParameterValue"}},
  {"_class":"hudson.model.TextParameterDefinition","name":"NOTES","type":"TextParameterDefinition","description":"","defaultParameterValue":{"_class":"hudson.model.TextParameterValue","value":"line 1\nline 2"}}
 ]}},
 {"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputStepExecution","id":"Ef95dd500ae6ed3b27b89fb852296d12","settled":false,"input":{"id":"Ef95dd500ae6ed3b27b89fb852296d12","message":"Continue?","ok":"Proceed","cancel":"Abort","submitter":null,"parameters":[]}},
 {"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputStepExecution","id":"Gone","settled":true,"input":{"id":"Gone","message":"Old","ok":"Proceed","cancel":"Abort","parameters":[]}}
]}]}`

var pausedBuildWant = []PendingInput{
	{ID: "Approve", Message: "Deploy to production?", OK: "Ship it", Cancel: "Not now", Submitter: "alice,ops", Params: []InputParam{
		{Name: "TAG", Type: "StringParameterDefinition", Description: "Release tag", Default: "v1.2", HasDefault: true},
		{Name: "DRY_RUN", Type: "BooleanParameterDefinition", Default: "false", HasDefault: true},
		{Name: "REGION", Type: "ChoiceParameterDefinition", Default: "eu-west-1", HasDefault: true, Choices: []string{"eu-west-1", "us-east-1"}},
		{Name: "PASS", Type: "PasswordParameterDefinition", HasDefault: true, Secret: true},
		{Name: "NOTES", Type: "TextParameterDefinition", Default: "line 1\nline 2", HasDefault: true},
	}},
	{ID: "Ef95dd500ae6ed3b27b89fb852296d12", Message: "Continue?", OK: "Proceed", Cancel: "Abort"},
}

const legacyBuild = `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","actions":[{"_class":"hudson.model.CauseAction"},{"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputAction"},{}]}`

// passwordSecret is a password parameter's default, which wfapi gives in clear.
const passwordSecret = "hunter2-s3cret"

const wfapiPendingInputs = `[{"id":"Approve","proceedText":"Ship it","message":"Deploy to production?","inputs":[
 {"type":"StringParameterDefinition","name":"TAG","description":"Release tag","definition":{"defaultVal":"v1.2"}},
 {"type":"BooleanParameterDefinition","name":"DRY_RUN","definition":{"defaultVal":true}},
 {"type":"ChoiceParameterDefinition","name":"REGION","definition":{"defaultVal":"eu-west-1","choices":["eu-west-1","us-east-1"]}},
 {"type":"PasswordParameterDefinition","name":"PASS","definition":{"defaultVal":"` + passwordSecret + `"}},
 {"type":"FileParameterDefinition","name":"BLOB","definition":{}}
],"proceedUrl":"/jenkins/job/team/job/my%20pipe/7/wfapi/inputSubmit?inputId=Approve","abortUrl":"/jenkins/job/team/job/my%20pipe/7/input/Approve/abort","redirectApprovalUrl":"/jenkins/job/team/job/my%20pipe/7/input/"},
{"id":"Deploy:prod","proceedText":"Proceed","message":"Also?","inputs":[{"type":"ChoiceParameterDefinition","name":"C","definition":{"choices":["a","b"]}}],"proceedUrl":"x","abortUrl":"y","redirectApprovalUrl":"z"}]`

var wfapiInputsWant = []PendingInput{
	{ID: "Approve", Message: "Deploy to production?", OK: "Ship it", Params: []InputParam{
		{Name: "TAG", Type: "StringParameterDefinition", Description: "Release tag", Default: "v1.2", HasDefault: true},
		{Name: "DRY_RUN", Type: "BooleanParameterDefinition", Default: "true", HasDefault: true},
		{Name: "REGION", Type: "ChoiceParameterDefinition", Default: "eu-west-1", HasDefault: true, Choices: []string{"eu-west-1", "us-east-1"}},
		{Name: "PASS", Type: "PasswordParameterDefinition", HasDefault: true, Secret: true},
		{Name: "BLOB", Type: "FileParameterDefinition"},
	}},
	{ID: "Deploy:prod", Message: "Also?", OK: "Proceed", Params: []InputParam{
		{Name: "C", Type: "ChoiceParameterDefinition", Default: "a", HasDefault: true, Choices: []string{"a", "b"}},
	}},
}

func TestPendingInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		build  string
		wfapi  string // "" when wfapi is not installed
		want   []PendingInput
		err    error
		wfapiN int // requests to wfapi
	}{
		{"exported, parallel, one settled", pausedBuild, wfapiPendingInputs, pausedBuildWant, nil, 0},
		{"legacy with wfapi", legacyBuild, wfapiPendingInputs, wfapiInputsWant, nil, 1},
		{"legacy with wfapi, nothing pending", legacyBuild, `[]`, []PendingInput{}, nil, 1},
		{"legacy without wfapi", legacyBuild, "", nil, ErrInputsUnknown, 1},
		{"answered", `{"actions":[{"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputAction","waitingForInput":false,"executions":[]}]}`, wfapiPendingInputs, []PendingInput{}, nil, 0},
		{"never paused", `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","actions":[{"_class":"hudson.model.CauseAction"},{}]}`, wfapiPendingInputs, []PendingInput{}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				routes := map[string]http.HandlerFunc{build7 + "api/json": answerJSON(200, tt.build)}
				if tt.wfapi != "" {
					routes[build7+"wfapi/pendingInputActions"] = answerJSON(200, tt.wfapi)
				}
				c, s := newStapler(t, apiToken, routes)
				got, err := c.PendingInputs(context.Background(), pipeJob, 7)
				if !errors.Is(err, tt.err) || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v, %v\nwant %+v, %v", got, err, tt.want, tt.err)
				}
				if err != nil && !strings.HasPrefix(err.Error(), "read pending inputs of team/my pipe #7: ") {
					t.Errorf("error %q does not name the build", err)
				}
				if n := s.count(build7 + "wfapi/pendingInputActions"); n != tt.wfapiN {
					t.Errorf("%d requests to wfapi, want %d", n, tt.wfapiN)
				}
				q, _ := url.ParseQuery(s.all()[0].query)
				if q.Get("tree") != inputTree {
					t.Errorf("build read with tree %q", q.Get("tree"))
				}
				if strings.Contains(fmt.Sprintf("%#v", got), passwordSecret) {
					t.Errorf("a password default was kept: %#v", got)
				}
			})
		})
	}
}

// TestPendingInputsRemembersNoWfapi: once wfapi answered 404, for stages or
// inputs, a legacy InputAction costs one request.
func TestPendingInputsRemembersNoWfapi(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{build7 + "api/json": answerJSON(200, legacyBuild)})
		for range 2 {
			if _, err := c.PendingInputs(context.Background(), pipeJob, 7); !errors.Is(err, ErrInputsUnknown) {
				t.Fatalf("err = %v", err)
			}
		}
		if n := s.count(build7 + "wfapi/pendingInputActions"); n != 1 || s.total() != 3 {
			t.Errorf("wfapi asked %d times in %d requests, want once in 3", n, s.total())
		}

		c = s.client(apiToken)
		if _, err := c.Stages(context.Background(), pipeJob, 7); !errors.Is(err, ErrNoStages) {
			t.Fatalf("stages: %v", err)
		}
		before := s.total()
		if _, err := c.PendingInputs(context.Background(), pipeJob, 7); !errors.Is(err, ErrInputsUnknown) || s.total() != before+1 {
			t.Errorf("after stages found no wfapi: %v in %d requests, want ErrInputsUnknown in 1", err, s.total()-before)
		}
	})
}

func TestBuildInputState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		pipeline bool
		state    InputState
	}{
		{"freestyle", `{"_class":"hudson.model.FreeStyleBuild","number":7,"building":true,"actions":[{"_class":"hudson.model.CauseAction"},{}]}`, false, InputNone},
		{"pipeline", `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":7,"building":true,"actions":[{"_class":"hudson.model.CauseAction"},{}]}`, true, InputNone},
		{"waiting", `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":7,"building":true,"actions":[{},{"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputAction","waitingForInput":true}]}`, true, InputWaiting},
		{"answered", `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":7,"building":true,"actions":[{"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputAction","waitingForInput":false}]}`, true, InputNone},
		{"legacy", legacyBuild[:len(legacyBuild)-1] + `,"number":7}`, true, InputUnknown},
		{"other action waiting", `{"_class":"org.jenkinsci.plugins.workflow.job.WorkflowRun","number":7,"actions":[{"_class":"x.Other","waitingForInput":true}]}`, true, InputNone},
		{"no actions", `{"number":7}`, false, InputNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{build7 + "api/json": answerJSON(200, tt.body)})
				b, err := c.Build(context.Background(), pipeJob, 7)
				if err != nil {
					t.Fatal(err)
				}
				if b.IsPipeline() != tt.pipeline || b.InputState() != tt.state {
					t.Errorf("IsPipeline %v, InputState %v; want %v, %v", b.IsPipeline(), b.InputState(), tt.pipeline, tt.state)
				}
				q, _ := url.ParseQuery(s.all()[0].query)
				if s.total() != 1 || !strings.HasSuffix(q.Get("tree"), ",actions[waitingForInput]") {
					t.Errorf("%d requests, tree %q", s.total(), q.Get("tree"))
				}
			})
		})
	}
}

func TestUnanswerable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		params []InputParam
		want   string
	}{
		{nil, ""},
		{pausedBuildWant[0].Params, ""},
		{[]InputParam{{Name: "PASS", Type: "PasswordParameterDefinition", HasDefault: true, Secret: true}}, ""},
		{wfapiInputsWant[0].Params, `its parameter "BLOB" (FileParameterDefinition) has no default value`},
		{[]InputParam{{Name: "A", Type: "RunParameterDefinition"}, {Name: "B", Type: "StringParameterDefinition", HasDefault: true}, {Name: "C", Type: "X"}},
			`its parameters "A" (RunParameterDefinition), "C" (X) have no default value`},
	}
	for _, tt := range tests {
		if got := (PendingInput{ID: "I", Params: tt.params}).Unanswerable(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.params, got, tt.want)
		}
	}
}

type proceedJSON struct {
	Parameter []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"parameter"`
}

// TestProceedInput posts each input to its own URL, the id as Jenkins gave
// it, with every parameter at its default; Jenkins sets those left out to
// null, and a password's default is left to Jenkins.
func TestProceedInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   PendingInput
		path string
		want string // the json field
	}{
		{pausedBuildWant[0], build7 + "input/Approve/proceed",
			`{"parameter":[{"name":"TAG","value":"v1.2"},{"name":"DRY_RUN","value":false},{"name":"REGION","value":"eu-west-1"},{"name":"PASS","value":"<DEFAULT>"},{"name":"NOTES","value":"line 1\nline 2"}]}`},
		{pausedBuildWant[1], build7 + "input/Ef95dd500ae6ed3b27b89fb852296d12/proceed", `{"parameter":[]}`},
		{wfapiInputsWant[1], build7 + "input/Deploy%3Aprod/proceed", `{"parameter":[{"name":"C","value":"a"}]}`},
		{PendingInput{ID: "B", Params: []InputParam{{Name: "ok", Type: "BooleanParameterDefinition", Default: "true", HasDefault: true}}}, build7 + "input/B/proceed",
			`{"parameter":[{"name":"ok","value":true}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.in.ID, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{tt.path: answerJSON(200, "")})
				if err := c.ProceedInput(context.Background(), pipeJob, 7, tt.in); err != nil {
					t.Fatal(err)
				}
				reqs := s.all()
				if len(reqs) != 1 || reqs[0].method != http.MethodPost || reqs[0].path != tt.path {
					t.Fatalf("requests %+v, want one POST to %s", reqs, tt.path)
				}
				var got, want proceedJSON
				if err := json.Unmarshal([]byte(reqs[0].form.Get("json")), &got); err != nil {
					t.Fatalf("json field %q: %v", reqs[0].form.Get("json"), err)
				}
				json.Unmarshal([]byte(tt.want), &want)
				if !reflect.DeepEqual(got, want) || len(reqs[0].form) != 1 {
					t.Errorf("posted %q, want json=%s", reqs[0].form, tt.want)
				}
			})
		})
	}
}

func TestProceedUnanswerableSendsNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, s := newStapler(t, apiToken, nil)
		err := c.ProceedInput(context.Background(), pipeJob, 7, wfapiInputsWant[0])
		if err == nil || !strings.Contains(err.Error(), `"BLOB" (FileParameterDefinition) has no default`) || s.total() != 0 {
			t.Errorf("err = %v after %d requests", err, s.total())
		}
	})
}

// TestAnswerFailures: an answer is sent once whatever comes back, and each
// failure says what it means.
func TestAnswerFailures(t *testing.T) {
	t.Parallel()
	refusal := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Error", "You need to be ops to submit this.")
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "<html><body><h1>Error</h1><p>You need to be ops to submit this.</p></body></html>")
	}
	echo := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "java.lang.IllegalArgumentException: Illegal choice for parameter: %s", b)
	}
	tests := []struct {
		name    string
		h       http.HandlerFunc
		check   func(error) bool
		message string
	}{
		{"already answered", answerJSON(404, ""), func(err error) bool { return errors.Is(err, ErrInputGone) && errors.Is(err, ErrNotFound) }, "no longer pending"},
		{"refused", refusal, func(err error) bool {
			var re *InputRefusedError
			return errors.As(err, &re) && re.ID == "Approve" && re.Message == "You need to be ops to submit this."
		}, "refused the answer to input Approve"},
		{"GET", answerJSON(405, ""), func(err error) bool { return errors.Is(err, errMethodNotAllowed) }, "not arrive as a POST"},
		{"server error", echo, func(err error) bool { return errors.Is(err, errInternal) }, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{
					build7 + "api/json":                  answerJSON(200, legacyBuild),
					build7 + "wfapi/pendingInputActions": answerJSON(200, wfapiPendingInputs),
					build7 + "input/Approve/proceed":     tt.h,
					build7 + "input/Approve/abort":       tt.h,
				})
				// wfapi gives the password's default in clear.
				inputs, err := c.PendingInputs(context.Background(), pipeJob, 7)
				if err != nil {
					t.Fatal(err)
				}
				in := inputs[0]
				in.Params = in.Params[:4] // without the file parameter
				for verb, err := range map[string]error{
					"proceed": c.ProceedInput(context.Background(), pipeJob, 7, in),
					"abort":   c.AbortInput(context.Background(), pipeJob, 7, "Approve"),
				} {
					if err == nil || !tt.check(err) || !strings.Contains(err.Error(), tt.message) {
						t.Errorf("%s: err = %v", verb, err)
						continue
					}
					if !strings.HasPrefix(err.Error(), verb+" input Approve of team/my pipe #7: ") {
						t.Errorf("%s: error %q does not name the input and build", verb, err)
					}
					if strings.Contains(err.Error(), passwordSecret) {
						t.Errorf("%s: error leaks the password default: %v", verb, err)
					}
					if n := s.count(build7 + "input/Approve/" + verb); n != 1 {
						t.Errorf("%s sent %d times, want once", verb, n)
					}
				}
			})
		})
	}
}

func TestAbortInput(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, s := newStapler(t, apiToken, map[string]http.HandlerFunc{build7 + "input/Ef95dd500ae6ed3b27b89fb852296d12/abort": answerJSON(200, "")})
		if err := c.AbortInput(context.Background(), pipeJob, 7, "Ef95dd500ae6ed3b27b89fb852296d12"); err != nil {
			t.Fatal(err)
		}
		// The id is used exactly: a lower-cased first letter is a 404.
		err := c.AbortInput(context.Background(), pipeJob, 7, "ef95dd500ae6ed3b27b89fb852296d12")
		if !errors.Is(err, ErrInputGone) {
			t.Errorf("err = %v", err)
		}
		if err := c.AbortInput(context.Background(), pipeJob, 7, ""); err == nil || s.total() != 2 {
			t.Errorf("empty id: %v after %d requests", err, s.total())
		}
		for _, r := range s.all() {
			if r.method != http.MethodPost || len(r.form) != 0 {
				t.Errorf("%s %s with %q", r.method, r.path, r.form)
			}
		}
	})
}

// TestAnswerCrumb: a password user's answer carries the crumb, an API
// token's goes without asking for one.
func TestAnswerCrumb(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		token  string
		crumbs int
	}{{"correct horse", 1}, {apiToken, 0}} {
		t.Run(tt.token, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				c, s := newStapler(t, tt.token, map[string]http.HandlerFunc{
					"/crumbIssuer/api/json": answerJSON(200, `{"_class":"hudson.security.csrf.DefaultCrumbIssuer","crumb":"c0ffee","crumbRequestField":"Jenkins-Crumb"}`),
					build7 + "input/Approve/proceed": func(w http.ResponseWriter, r *http.Request) {
						token := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+apiToken))
						if r.Header.Get("Jenkins-Crumb") != "c0ffee" && r.Header.Get("Authorization") != token {
							w.WriteHeader(http.StatusForbidden)
							io.WriteString(w, "No valid crumb was included in the request")
							return
						}
					},
				})
				if err := c.ProceedInput(context.Background(), pipeJob, 7, pausedBuildWant[0]); err != nil {
					t.Fatal(err)
				}
				reqs := s.all()
				last := reqs[len(reqs)-1]
				if n := s.count("/crumbIssuer/api/json"); n != tt.crumbs || len(reqs) != tt.crumbs+1 {
					t.Errorf("%d crumb requests in %d, want %d in %d", n, len(reqs), tt.crumbs, tt.crumbs+1)
				}
				if (last.crumb != "") != (tt.crumbs > 0) {
					t.Errorf("crumb %q sent", last.crumb)
				}
			})
		})
	}
}

func TestInputPagePath(t *testing.T) {
	t.Parallel()
	if got := InputPagePath(pipeJob, 7); got != "/job/team/job/my%20pipe/7/input/" {
		t.Errorf("InputPagePath = %q", got)
	}
}

// decodeInputs decodes body as PendingInputs does, as the build's actions
// or as wfapi's list.
func decodeInputs(body []byte, wfapi bool) ([]PendingInput, error) {
	const u = "https://ci.example.com/jenkins/job/p/1/api/json"
	if wfapi {
		var list []wfapiInput
		if err := decodeAnswer(u, body, "application/json", &list); err != nil {
			return nil, err
		}
		return wfapiPending(list), nil
	}
	var a inputActions
	if err := decodeAnswer(u, body, "application/json", &a); err != nil {
		return nil, err
	}
	inputs, _ := a.pending()
	return inputs, nil
}

func FuzzDecodeInputs(f *testing.F) {
	seeds := []string{
		pausedBuild, legacyBuild, wfapiPendingInputs, `[]`, `null`, `{}`, ``, `<html>`,
		`{"actions":[{"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputAction","executions":[{"id":"","input":{"id":""}},{"input":{"id":"X","parameters":[{"name":"p","type":"BooleanParameterDefinition","defaultParameterValue":{"value":"yes"}}]}}]}]}`,
		`[{"id":"","inputs":[]},{"id":"A","inputs":[{"type":"PasswordParameterDefinition","name":"p","definition":{"defaultVal":{"x":1}}},{"name":"n","definition":{"defaultVal":1e400}}]}]`,
		`{"actions":[null,{"_class":"org.jenkinsci.plugins.workflow.support.steps.input.InputAction","waitingForInput":true,"executions":[null]}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, wfapi bool) {
		inputs, err := decodeInputs(body, wfapi)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		for _, in := range inputs {
			if in.ID == "" {
				t.Fatalf("input without an id: %+v", in)
			}
			for _, p := range in.Params {
				if p.Secret && p.Default != "" {
					t.Fatalf("a password default was kept: %+v", p)
				}
			}
			if in.Unanswerable() != "" {
				continue
			}
			form, err := in.proceedForm()
			if err != nil {
				t.Fatalf("answerable input %+v gave no form: %v", in, err)
			}
			var a proceedJSON
			if err := json.Unmarshal([]byte(form.Get("json")), &a); err != nil || len(a.Parameter) != len(in.Params) {
				t.Fatalf("form %q for %+v: %v", form, in, err)
			}
		}
	})
}
