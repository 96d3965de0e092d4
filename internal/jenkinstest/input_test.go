package jenkinstest

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

const inputActionJSON = "org.jenkinsci.plugins.workflow.support.steps.input.InputAction"

// approvalScript waits for "Ship it?" (id "approve") 5 s into a 10 s build,
// inside the Approve stage.
func approvalScript(in Input) Script {
	in.At = 5 * time.Second
	if in.Message == "" {
		in.Message = "Ship it?"
	}
	return Script{
		Duration: 10 * time.Second,
		Stages: []Stage{
			{Name: "Build", Duration: 4 * time.Second},
			{Name: "Approve", Start: 4 * time.Second, Duration: 4 * time.Second},
			{Name: "Deploy", Start: 8 * time.Second, Duration: 2 * time.Second},
		},
		Inputs: []Input{in},
		Log:    []LogLine{{At: 9 * time.Second, Text: "deploying"}},
	}
}

// inputAction returns the build's InputAction as read with tree=, or nil.
func (f *fixture) inputAction(path string) map[string]any {
	f.t.Helper()
	b := f.json(path + "api/json?tree=building,inProgress,result,duration,actions[waitingForInput,displayName,executions[id,settled,displayName,input[id,message,ok,cancel,submitter,submitterParameter,parameters[name,type,description,choices,defaultParameterValue[value]]]]]")
	for _, a := range b["actions"].([]any) {
		if a := a.(map[string]any); a["_class"] == inputActionJSON {
			return a
		}
	}
	return nil
}

func TestInputPauseAndProceed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{WFAPI: true, GraphView: "stages"},
			JobSpec{FullName: "p", Pipeline: true, Script: fixed(approvalScript(Input{ID: "approve", OK: "Yes", Cancel: "No"}))})
		f.post("/job/p/build")
		time.Sleep(4 * time.Second)
		if a := f.inputAction("/job/p/1/"); a != nil {
			t.Errorf("InputAction before the input: %v", a)
		}
		time.Sleep(61 * time.Second) // paused for 60 s
		b := f.json("/job/p/1/api/json")
		if b["building"] != true || b["inProgress"] != true || b["result"] != nil || b["duration"] != 0.0 {
			t.Errorf("paused build %v", b)
		}
		a := f.inputAction("/job/p/1/")
		execs, _ := a["executions"].([]any)
		if a["waitingForInput"] != true || a["displayName"] != "Paused for Input" || len(execs) != 1 {
			t.Fatalf("InputAction %v", a)
		}
		wantExec := map[string]any{"id": "Approve", "settled": false, "displayName": "Ship it?", "input": map[string]any{
			"id": "Approve", "message": "Ship it?", "ok": "Yes", "cancel": "No", "submitter": nil, "submitterParameter": nil, "parameters": []any{},
		}}
		if !reflect.DeepEqual(execs[0], wantExec) {
			t.Errorf("execution %v", execs[0])
		}
		log := f.get("/job/p/1/consoleText").body
		if !strings.HasSuffix(log, "[Pipeline] { (Approve)\n[Pipeline] input\nShip it?\nYes or No\n") {
			t.Errorf("paused log:\n%s", log)
		}
		run := f.describe("/job/p/1/wfapi/describe")
		if run.Status != "PAUSED_PENDING_INPUT" || stageStatuses(run) != "Build:SUCCESS Approve:PAUSED_PENDING_INPUT" ||
			run.Stages[1].PauseDurationMillis != 60000 || run.Links["pendingInputActions"].Href != "/jenkins/job/p/1/wfapi/pendingInputActions" {
			t.Errorf("wfapi while paused: %s [%s] %+v", run.Status, stageStatuses(run), run)
		}
		var tree graphTreeJSON
		decode(t, f.get("/job/p/1/stages/tree").body, &tree)
		if got := flatStates(tree.Data.Stages); got != "Build:success:STAGE Approve:paused:STAGE" {
			t.Errorf("graph view while paused: %s", got)
		}

		r := f.post("/job/p/1/input/Approve/proceedEmpty")
		if r.status != 200 || r.body != "" {
			t.Fatalf("proceedEmpty: %d %q", r.status, r.body)
		}
		wantStatus(t, "answered twice", f.post("/job/p/1/input/Approve/proceedEmpty"), 404)
		a = f.inputAction("/job/p/1/")
		if a["waitingForInput"] != false || a["displayName"] != nil || len(a["executions"].([]any)) != 0 {
			t.Errorf("InputAction after the answer %v", a)
		}
		time.Sleep(5 * time.Second) // the remaining 5 s of script
		b = f.json("/job/p/1/api/json")
		if b["building"] != false || b["result"] != "SUCCESS" || b["duration"] != 70000.0 {
			t.Errorf("after the answer: %v %v %v", b["building"], b["result"], b["duration"])
		}
		inOrder(t, f.get("/job/p/1/consoleText").body, "Yes or No\nApproved by alice\n", "[Pipeline] { (Deploy)\ndeploying\n", "Finished: SUCCESS\n")
		if got := f.inputAction("/job/p/1/"); got == nil {
			t.Error("InputAction gone after the build")
		}
		run = f.describe("/job/p/1/wfapi/describe")
		if stageStatuses(run) != "Build:SUCCESS Approve:SUCCESS Deploy:SUCCESS" || run.Stages[1].DurationMillis != 64000 ||
			run.Stages[1].PauseDurationMillis != 60000 || run.Stages[2].StartTimeMillis != epoch.Add(68*time.Second).UnixMilli() {
			t.Errorf("wfapi after: %+v", run)
		}
		want := []InputAnswer{{Build: 1, ID: "Approve", Action: "proceedEmpty", By: "alice", At: epoch.Add(65 * time.Second)}}
		got := f.srv.InputAnswers("p")
		for i := range got {
			got[i].At = got[i].At.UTC() // the bubble's time is Local
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("answers %+v", got)
		}
		if f.srv.InputAnswers("nope") != nil {
			t.Error("answers of a missing job")
		}
	})
}

func TestInputEndpoints(t *testing.T) {
	t.Parallel()
	params := []ParamDef{{Name: "ENV", Type: "choice", Choices: []string{"staging", "prod"}}, {Name: "FORCE", Type: "boolean", Default: "true"}, {Name: "NOTE", Type: "string", Default: "n/a"}}
	jsonOf := func(s string) url.Values { return url.Values{"json": {s}} }
	for _, tt := range []struct {
		name       string
		input      Input
		c          call // path relative to the build
		status     int
		xError     string
		location   string
		answer     *InputAnswer // nil: the input still waits
		wantResult string
	}{
		{name: "GET is 405", c: call{path: "input/Approve/proceedEmpty"}, status: 405},
		{name: "lower-case id", c: call{method: "POST", path: "input/approve/proceedEmpty"}, status: 404},
		{name: "unknown id", c: call{method: "POST", path: "input/Other/abort"}, status: 404},
		{name: "unknown action", c: call{method: "POST", path: "input/Approve/nope"}, status: 404},
		{name: "input api", c: call{path: "input/api/json"}, status: 404},
		{name: "input page", c: call{path: "input/"}, status: 200},
		{name: "form page", c: call{path: "input/Approve/"}, status: 200},
		{name: "proceed without json", c: call{method: "POST", path: "input/Approve/proceed"}, status: 400},
		{name: "proceed empty json", input: Input{Params: params}, c: call{method: "POST", path: "input/Approve/proceed", form: jsonOf(`{"parameter":[]}`)},
			status: 200, answer: &InputAnswer{Action: "proceed"}, wantResult: "SUCCESS"},
		{name: "proceed one value", input: Input{Params: params}, c: call{method: "POST", path: "input/Approve/proceed", form: jsonOf(`{"parameter":{"name":"ENV","value":"prod"}}`)},
			status: 200, answer: &InputAnswer{Action: "proceed", Params: map[string]any{"ENV": "prod"}}, wantResult: "SUCCESS"},
		{name: "proceed values", input: Input{Params: params}, c: call{method: "POST", path: "input/Approve/proceed", form: jsonOf(`{"parameter":[{"name":"FORCE","value":false},{"name":"NOTE","value":"x"}]}`)},
			status: 200, answer: &InputAnswer{Action: "proceed", Params: map[string]any{"FORCE": false, "NOTE": "x"}}, wantResult: "SUCCESS"},
		{name: "bad choice", input: Input{Params: params}, c: call{method: "POST", path: "input/Approve/proceed", form: jsonOf(`{"parameter":[{"name":"ENV","value":"qa"}]}`)}, status: 500},
		{name: "unknown parameter", input: Input{Params: params}, c: call{method: "POST", path: "input/Approve/proceed", form: jsonOf(`{"parameter":[{"name":"X","value":"1"}]}`)}, status: 500},
		{name: "abort", c: call{method: "POST", path: "input/Approve/abort"}, status: 200, answer: &InputAnswer{Action: "abort", Rejected: true}, wantResult: "ABORTED"},
		{name: "submit without proceed aborts", c: call{method: "POST", path: "input/Approve/submit", form: url.Values{"abort": {"Abort"}}},
			status: 302, location: "/jenkins/job/p/1/console", answer: &InputAnswer{Action: "submit", Rejected: true}, wantResult: "ABORTED"},
		{name: "submit with proceed", input: Input{Params: params}, c: call{method: "POST", path: "input/Approve/submit", form: url.Values{"proceed": {"Proceed"}, "json": {`{"parameter":[{"name":"ENV","value":"staging"}]}`}}},
			status: 302, location: "/jenkins/job/p/1/console", answer: &InputAnswer{Action: "submit", Params: map[string]any{"ENV": "staging"}}, wantResult: "SUCCESS"},
		{name: "not the submitter", input: Input{Submitter: "bob, carol"}, c: call{method: "POST", path: "input/Approve/proceedEmpty"},
			status: 400, xError: "You need to be bob, carol to submit this."},
		{name: "a submitter", input: Input{Submitter: "bob,ALICE"}, c: call{method: "POST", path: "input/Approve/proceedEmpty"},
			status: 200, answer: &InputAnswer{Action: "proceedEmpty"}, wantResult: "SUCCESS"},
		{name: "abort with Job/Cancel", input: Input{Submitter: "bob"}, c: call{method: "POST", path: "input/Approve/abort"},
			status: 200, answer: &InputAnswer{Action: "abort", Rejected: true}, wantResult: "ABORTED"},
		{name: "password without crumb", c: call{method: "POST", path: "input/Approve/proceedEmpty", password: true}, status: 403},
		{name: "wfapi inputSubmit", c: call{method: "POST", path: "wfapi/inputSubmit?inputId=Approve", form: jsonOf(`{"parameter":[]}`)},
			status: 200, answer: &InputAnswer{Action: "inputSubmit"}, wantResult: "SUCCESS"},
		{name: "wfapi inputSubmit GET", c: call{path: "wfapi/inputSubmit?inputId=Approve"}, status: 405},
		{name: "wfapi inputSubmit without json", c: call{method: "POST", path: "wfapi/inputSubmit?inputId=Approve"}, status: 400},
		{name: "wfapi inputSubmit bad id", c: call{method: "POST", path: "wfapi/inputSubmit?inputId=approve", form: jsonOf(`{}`)}, status: 500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				in := tt.input
				in.ID = "approve"
				f := newFixture(t, Options{WFAPI: true}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(approvalScript(in))})
				f.post("/job/p/build")
				time.Sleep(6 * time.Second)
				c := tt.c
				c.path = "/job/p/1/" + c.path
				r := f.do(c)
				wantStatus(t, c.path, r, tt.status)
				if got := r.header.Get("X-Error"); got != tt.xError {
					t.Errorf("X-Error %q, want %q", got, tt.xError)
				}
				if tt.location != "" && r.header.Get("Location") != f.srv.URL()+strings.TrimPrefix(tt.location, "/jenkins") {
					t.Errorf("Location %q", r.header.Get("Location"))
				}
				if tt.status == 200 && strings.Contains(c.path, "inputSubmit") && r.body != "null" {
					t.Errorf("inputSubmit body %q", r.body)
				}
				answers := f.srv.InputAnswers("p")
				if tt.answer == nil {
					if len(answers) != 0 || f.inputAction("/job/p/1/")["waitingForInput"] != true {
						t.Errorf("input answered: %+v", answers)
					}
					return
				}
				want := *tt.answer
				want.Build, want.ID, want.By, want.At = 1, "Approve", "alice", epoch.Add(6*time.Second)
				if len(answers) == 1 {
					answers[0].At = answers[0].At.UTC() // the bubble's time is Local
				}
				if len(answers) != 1 || !reflect.DeepEqual(answers[0], want) {
					t.Errorf("answers %+v, want %+v", answers, want)
				}
				time.Sleep(time.Minute)
				b := f.json("/job/p/1/api/json")
				log := f.get("/job/p/1/consoleText").body
				if b["result"] != tt.wantResult || !strings.HasSuffix(log, "Finished: "+tt.wantResult+"\n") {
					t.Errorf("result %v, log:\n%s", b["result"], log)
				}
				if tt.wantResult == "ABORTED" {
					// The Approve stage unwinds; Deploy never runs.
					inOrder(t, log, "[Pipeline] input\nShip it?\nProceed or Abort\n[Pipeline] }\n[Pipeline] // stage\n[Pipeline] }\n[Pipeline] // node\n[Pipeline] End of Pipeline\nRejected by alice\nFinished: ABORTED\n")
					if b["duration"] != 7000.0 || strings.Contains(log, "Deploy") {
						t.Errorf("aborted build: duration %v", b["duration"])
					}
				} else if !strings.Contains(log, "Approved by alice\n") || !strings.Contains(log, "deploying") {
					t.Errorf("approved build log:\n%s", log)
				}
			})
		})
	}
}

func TestInputConsoleWithParameters(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(approvalScript(Input{
			Message: "Which env?", Params: []ParamDef{{Name: "ENV", Type: "choice", Choices: []string{"a", "b"}}},
		}))})
		f.post("/job/p/build")
		time.Sleep(6 * time.Second)
		log := f.get("/job/p/1/consoleText").body
		if !strings.HasSuffix(log, "[Pipeline] input\nInput requested\n") || strings.Contains(log, "Which env?") {
			t.Errorf("log:\n%s", log)
		}
		// The default id is the capitalised MD5 hex of the message.
		a := f.inputAction("/job/p/1/")
		exec := a["executions"].([]any)[0].(map[string]any)
		if want := md5hex("Which env?"); exec["id"] != want { // starts with a digit
			t.Errorf("id %v, want %s", exec["id"], want)
		}
		p := exec["input"].(map[string]any)["parameters"].([]any)[0].(map[string]any)
		if p["_class"] != "hudson.model.ChoiceParameterDefinition" || p["type"] != "ChoiceParameterDefinition" || p["name"] != "ENV" ||
			p["defaultParameterValue"].(map[string]any)["value"] != "a" || len(p["choices"].([]any)) != 2 {
			t.Errorf("parameter %v", p)
		}
	})
}

func TestInputIDCapitalisation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ id, msg, want string }{
		{"approve", "", "Approve"},
		{"Approve", "", "Approve"},
		{"1st", "", "1st"},
		{"élan", "", "élan"},                                       // only ASCII a-z is capitalised
		{"", "hello", "5d41402abc4b2a76b9719d911017c592"},          // a digit first: unchanged
		{"", "message digest", "F96b697d7cb7938d525a2f31aaf161d0"}, // md5 f96b...
	} {
		if got := inputID(Input{ID: tt.id, Message: tt.msg}); got != tt.want {
			t.Errorf("id %q message %q: %q, want %q", tt.id, tt.msg, got, tt.want)
		}
	}
}

func TestParallelInputs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{WFAPI: true, GraphView: "stages"}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(Script{
			Duration: 10 * time.Second,
			Stages: []Stage{
				{Name: "Gate", Duration: 8 * time.Second},
				{Name: "eu", Parent: "Gate", Parallel: true, Duration: 8 * time.Second},
				{Name: "us", Parent: "Gate", Parallel: true, Duration: 8 * time.Second},
			},
			Inputs: []Input{
				{At: 2 * time.Second, Stage: "eu", ID: "eu", Message: "Deploy EU?"},
				{At: 2 * time.Second, Stage: "us", ID: "us", Message: "Deploy US?", Params: []ParamDef{{Name: "PCT", Type: "string", Default: "10"}}},
			},
		})})
		f.post("/job/p/build")
		time.Sleep(3 * time.Second)
		pending := f.get("/job/p/1/wfapi/pendingInputActions")
		var acts []map[string]any
		decode(t, pending.body, &acts)
		if len(acts) != 2 || acts[0]["id"] != "Eu" || acts[1]["id"] != "Us" {
			t.Fatalf("pendingInputActions %s", pending.body)
		}
		wantUS := map[string]any{
			"id": "Us", "proceedText": "Proceed", "message": "Deploy US?",
			"inputs":              []any{map[string]any{"type": "StringParameterDefinition", "name": "PCT", "definition": map[string]any{"defaultVal": "10"}}},
			"proceedUrl":          "/jenkins/job/p/1/wfapi/inputSubmit?inputId=Us",
			"abortUrl":            "/jenkins/job/p/1/input/Us/abort",
			"redirectApprovalUrl": "/jenkins/job/p/1/input/",
		}
		if !reflect.DeepEqual(acts[1], wantUS) {
			t.Errorf("pending US %v", acts[1])
		}
		var next map[string]any
		decode(t, f.get("/job/p/1/wfapi/nextPendingInputAction").body, &next)
		if next["id"] != "Eu" {
			t.Errorf("nextPendingInputAction %v", next)
		}
		wantStatus(t, "proceed EU", f.post("/job/p/1/input/Eu/proceedEmpty"), 200)
		time.Sleep(10 * time.Second)
		// Still paused on US: the timeline has not moved.
		if a := f.inputAction("/job/p/1/"); a["waitingForInput"] != true || len(a["executions"].([]any)) != 1 {
			t.Errorf("after one answer %v", a)
		}
		run := f.describe("/job/p/1/wfapi/describe")
		// EU's input is settled, but the pause holds the whole script, so its
		// branch still runs; Gate is cut off where its branches start.
		if run.Status != "PAUSED_PENDING_INPUT" || stageStatuses(run) != "Gate:SUCCESS eu:IN_PROGRESS us:PAUSED_PENDING_INPUT" {
			t.Errorf("wfapi %s [%s]", run.Status, stageStatuses(run))
		}
		var tree graphTreeJSON
		decode(t, f.get("/job/p/1/stages/tree").body, &tree)
		if got := flatStates(tree.Data.Stages); got != "Gate:paused:STAGE[eu:running:PARALLEL us:paused:PARALLEL]" {
			t.Errorf("graph %s", got)
		}
		wantStatus(t, "proceed US", f.do(call{method: "POST", path: "/job/p/1/input/Us/proceed", form: url.Values{"json": {`{"parameter":[{"name":"PCT","value":"50"}]}`}}}), 200)
		decode(t, f.get("/job/p/1/wfapi/nextPendingInputAction").body, &next)
		if next != nil {
			t.Errorf("nextPendingInputAction after both %v", next)
		}
		time.Sleep(8 * time.Second)
		b := f.json("/job/p/1/api/json")
		if b["building"] != false || b["duration"] != 21000.0 { // 10 s + 11 s paused
			t.Errorf("end: %v %v", b["building"], b["duration"])
		}
		if got := f.srv.InputAnswers("p"); len(got) != 2 || got[0].ID != "Eu" || got[1].Params["PCT"] != "50" {
			t.Errorf("answers %+v", got)
		}
	})
}

func TestInputAnsweredBySomeoneElse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		in       Input
		result   string
		duration float64
		line     string
	}{
		{"proceed", Input{AnswerBy: "proceed", AnsweredAfter: 30 * time.Second, Answerer: "bob"}, "SUCCESS", 40000, "Proceed or Abort\nApproved by bob\n"},
		{"abort", Input{AnswerBy: "abort", AnsweredAfter: 30 * time.Second}, "ABORTED", 36000, "Rejected by admin\nFinished: ABORTED\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(approvalScript(tt.in))})
				f.post("/job/p/build")
				time.Sleep(34 * time.Second)
				if a := f.inputAction("/job/p/1/"); a["waitingForInput"] != true {
					t.Errorf("not waiting before the answer: %v", a)
				}
				time.Sleep(time.Second)
				if a := f.inputAction("/job/p/1/"); a["waitingForInput"] != false {
					t.Errorf("waiting after the answer: %v", a)
				}
				wantStatus(t, "answer after someone else", f.post("/job/p/1/input/"+inputID(Input{Message: "Ship it?"})+"/abort"), 404)
				time.Sleep(time.Minute)
				b := f.json("/job/p/1/api/json")
				if b["result"] != tt.result || b["duration"] != tt.duration {
					t.Errorf("result %v duration %v", b["result"], b["duration"])
				}
				inOrder(t, f.get("/job/p/1/consoleText").body, tt.line)
				if got := f.srv.InputAnswers("p"); got != nil {
					t.Errorf("recorded %+v", got)
				}
			})
		})
	}
}

func TestStopPausedBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{WFAPI: true}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(approvalScript(Input{ID: "ok"}))})
		f.post("/job/p/build")
		f.post("/job/p/build") // blocked behind the paused build
		time.Sleep(20 * time.Second)
		q := f.json("/queue/item/2/api/json")
		if q["_class"] != "hudson.model.Queue$BlockedItem" || !strings.HasPrefix(q["why"].(string), "Build #1 is already in progress") {
			t.Errorf("queue item %v %v", q["_class"], q["why"])
		}
		wantStatus(t, "stop", f.post("/job/p/1/stop"), 302)
		wantStatus(t, "input after stop", f.post("/job/p/1/input/Ok/proceedEmpty"), 404)
		time.Sleep(time.Second)
		b := f.json("/job/p/1/api/json")
		if b["building"] != false || b["result"] != "ABORTED" || b["duration"] != 21000.0 {
			t.Errorf("after stop %v %v %v", b["building"], b["result"], b["duration"])
		}
		log := f.get("/job/p/1/consoleText").body
		inOrder(t, log, "Proceed or Abort\nAborted by alice\n[Pipeline] }\n[Pipeline] // stage\n[Pipeline] }\n", "Finished: ABORTED\n")
		if strings.Contains(log, "Rejected") || strings.Contains(log, "Approved") {
			t.Errorf("log:\n%s", log)
		}
		run := f.describe("/job/p/1/wfapi/describe")
		if run.Status != "ABORTED" || stageStatuses(run) != "Build:SUCCESS Approve:ABORTED" || run.Stages[1].PauseDurationMillis != 15000 {
			t.Errorf("wfapi %s [%s] %+v", run.Status, stageStatuses(run), run.Stages)
		}
		if a := f.inputAction("/job/p/1/"); a["waitingForInput"] != false {
			t.Errorf("InputAction %v", a)
		}
	})
}

func TestInputActionVisibility(t *testing.T) {
	t.Parallel()
	script := approvalScript(Input{ID: "go", Message: "A message that is longer than thirty-two characters",
		Params: []ParamDef{{Name: "PW", Type: "password", Default: "s3cret"}}})
	for _, tt := range []struct {
		name, query string
		legacy      bool
		want        string // the InputAction as written
	}{
		{"depth 0", "", false, `{"_class":"` + inputActionJSON + `"}`},
		{"depth 1", "?depth=1", false, `{"_class":"` + inputActionJSON + `","displayName":"Paused for Input","executions":[{"displayName":"A message that is longer than th...","id":"Go","input":{},"settled":false}],"waitingForInput":true}`},
		{"depth 2", "?depth=2", false, `{"_class":"` + inputActionJSON + `","displayName":"Paused for Input","executions":[{"displayName":"A message that is longer than th...","id":"Go","input":{"cancel":"Abort","id":"Go","message":"A message that is longer than thirty-two characters","ok":"Proceed","parameters":[{"_class":"hudson.model.PasswordParameterDefinition","defaultParameterValue":{"_class":"hudson.model.PasswordParameterValue","name":"PW"},"description":"","name":"PW","type":"PasswordParameterDefinition"}],"submitter":null,"submitterParameter":null},"settled":false}],"waitingForInput":true}`},
		{"tree", "?tree=actions[waitingForInput]", false, `{"_class":"` + inputActionJSON + `","waitingForInput":true}`},
		{"legacy depth 2", "?depth=2", true, `{"_class":"` + inputActionJSON + `"}`},
		{"legacy tree", "?tree=actions[waitingForInput]", true, `{"_class":"` + inputActionJSON + `"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{LegacyInputAction: tt.legacy}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(script)})
				f.post("/job/p/build")
				time.Sleep(6 * time.Second)
				body := f.get("/job/p/1/api/json" + tt.query).body
				if !strings.Contains(body, tt.want) {
					t.Errorf("want %s in\n%s", tt.want, body)
				}
				if tt.query == "?tree=actions[waitingForInput]" && !strings.Contains(body, `{},`) {
					t.Errorf("no {} for a non-exported action: %s", body)
				}
			})
		})
	}
}

func TestInputRequestRecords(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "p", Pipeline: true, Script: fixed(approvalScript(Input{ID: "x"}))})
		f.post("/job/p/build")
		time.Sleep(6 * time.Second)
		f.post("/job/p/1/input/x/abort")
		f.post("/job/p/1/input/X/abort")
		reqs := f.srv.Requests()
		got := []string{}
		for _, r := range reqs[len(reqs)-2:] {
			got = append(got, r.Method+" "+r.Path+" "+http.StatusText(r.Status))
		}
		if want := []string{"POST /jenkins/job/p/1/input/x/abort Not Found", "POST /jenkins/job/p/1/input/X/abort OK"}; !reflect.DeepEqual(got, want) {
			t.Errorf("records %v", got)
		}
	})
}
