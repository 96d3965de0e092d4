package jenkinstest

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// md5hex is Util.getDigestOf: the default input id before capitalisation.
func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // only the fake's own types reach here
		panic(fmt.Sprintf("jenkinstest: cannot encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// inputActions returns the run's InputAction once an input step has
// started; it stays, with no executions, after the inputs are answered.
// Its properties have the default visibility, each execution and its input
// visibility 2, the parameters 3, so depth=1 shows input:{} (2.6).
func (s *Server) inputActions(b *build, now time.Time) []any {
	if !b.job.spec.Pipeline || len(b.script.Inputs) == 0 {
		return nil
	}
	rel := now.Sub(b.start)
	tl := b.timeline()
	if !b.inputStarted(rel, tl) {
		return nil
	}
	o := newObj(inputActionClass)
	if s.opts.LegacyInputAction { // before input-step 466: nothing exported
		return []any{o}
	}
	pending := b.pendingInputs(rel, tl)
	execs := []any{}
	for _, k := range pending {
		in := b.script.Inputs[k]
		params := []any{}
		for _, d := range in.Params {
			params = append(params, paramDefJSON(d))
		}
		var submitter any
		if in.Submitter != "" {
			submitter = in.Submitter
		}
		input := newObj("").
			addVis("cancel", 2, cmp.Or(in.Cancel, "Abort")).
			addVis("id", 2, inputID(in)).
			addVis("message", 2, in.Message).
			addVis("ok", 2, cmp.Or(in.OK, "Proceed")).
			addVis("parameters", 2, params).
			addVis("submitter", 2, submitter).
			addVis("submitterParameter", 2, nil)
		execs = append(execs, newObj("").
			addVis("displayName", 2, executionName(in.Message)).
			addVis("id", 2, inputID(in)).
			addVis("input", 2, input).
			addVis("settled", 2, false))
	}
	var name any
	if len(pending) > 0 {
		name = "Paused for Input"
	}
	o.add("displayName", name).add("executions", execs).add("waitingForInput", len(pending) > 0)
	return []any{o}
}

// executionName is InputStepExecution.getDisplayName: the message cut to
// 32 characters plus "...".
func executionName(msg string) string {
	if utf8.RuneCountInString(msg) <= 32 {
		return msg
	}
	return string([]rune(msg)[:32]) + "..."
}

// pendingInput finds the waiting input with exactly this id (InputAction
// .getExecution is case-sensitive); -1 if none.
func (b *build) pendingInput(id string, now time.Time) int {
	for _, k := range b.pendingInputs(now.Sub(b.start), b.timeline()) {
		if inputID(b.script.Inputs[k]) == id {
			return k
		}
	}
	return -1
}

// routeInput serves <build>/input/...: the HTML pages and the answer
// endpoints of InputStepExecution.
func (s *Server) routeInput(rq *request, b *build, rest []string) *response {
	if !b.inputStarted(rq.now.Sub(b.start), b.timeline()) {
		return notFound()
	}
	if len(rest) == 0 {
		return objectPage(rq, "Paused for Input")
	}
	k := b.pendingInput(rest[0], rq.now) // "api" is looked up as an id too: 404
	if k < 0 || len(rest) > 2 {
		return notFound()
	}
	in := b.script.Inputs[k]
	if len(rest) == 1 {
		return objectPage(rq, in.Message)
	}
	action := rest[1]
	if !slices.Contains([]string{"proceedEmpty", "proceed", "abort", "submit"}, action) {
		return notFound()
	}
	if rq.r.Method != http.MethodPost {
		return methodNotAllowed()
	}
	reject := action == "abort" || (action == "submit" && rq.form.values["proceed"] == nil)
	if resp := s.checkSettle(rq, in, reject); resp != nil {
		return resp
	}
	var params map[string]any
	if !reject && action != "proceedEmpty" {
		var resp *response
		if params, resp = submittedParams(rq, in); resp != nil {
			return resp
		}
	}
	s.settle(rq, b, k, action, reject, params)
	if action == "submit" {
		return redirect(rq.r, http.StatusFound, s.buildPath(b)+"console")
	}
	return emptyResponse(http.StatusOK, "")
}

// checkSettle is preSubmissionCheck/preAbortCheck. The fake's users have
// Job/Build and Job/Cancel but not Administer, so a submitter list binds
// them. A refusal is a hudson.model.Failure: 400 with X-Error.
func (s *Server) checkSettle(rq *request, in Input, reject bool) *response {
	mayProceed := s.canBuild(rq.c)
	if in.Submitter != "" {
		mayProceed = rq.c.user != "" && slices.ContainsFunc(strings.Split(in.Submitter, ","), func(u string) bool {
			return strings.EqualFold(strings.TrimSpace(u), rq.c.user)
		})
	}
	var msg string
	switch {
	case reject && !mayProceed && !s.canBuild(rq.c) && in.Submitter != "":
		msg = "You need to be '" + in.Submitter + "' (or have Job/Cancel permissions) to cancel this."
	case reject && !mayProceed && !s.canBuild(rq.c):
		msg = "You need to have Job/Cancel permissions to cancel this." // wording unverified
	case !reject && !mayProceed && in.Submitter != "":
		msg = "You need to be " + in.Submitter + " to submit this."
	case !reject && !mayProceed:
		msg = "You need to have Job/Build permissions to submit this."
	default:
		return nil
	}
	resp := htmlResponse(http.StatusBadRequest, "Error", msg)
	resp.header.Set("X-Error", msg)
	return resp
}

// submittedParams is parseValue over the form's json: only the parameters
// sent are given to the pipeline, never the defaults.
func submittedParams(rq *request, in Input) (map[string]any, *response) {
	raw, ok := rq.form.values["json"]
	if !ok {
		return nil, htmlResponse(http.StatusBadRequest, "Bad Request", "This page expects a form submission")
	}
	var submitted struct {
		Parameter json.RawMessage `json:"parameter"`
	}
	if err := json.Unmarshal([]byte(raw[0]), &submitted); err != nil {
		return nil, serverError("net.sf.json.JSONException: " + err.Error())
	}
	var entries []map[string]any
	if t := bytes.TrimSpace(submitted.Parameter); len(t) > 0 && t[0] == '{' {
		var one map[string]any
		if err := json.Unmarshal(t, &one); err != nil {
			return nil, serverError("net.sf.json.JSONException: " + err.Error())
		}
		entries = append(entries, one)
	} else if len(t) > 0 && string(t) != "null" {
		if err := json.Unmarshal(t, &entries); err != nil {
			return nil, serverError("net.sf.json.JSONException: " + err.Error())
		}
	}
	if len(entries) == 0 {
		return nil, nil
	}
	params := map[string]any{}
	for _, e := range entries {
		name, _ := e["name"].(string)
		i := slices.IndexFunc(in.Params, func(d ParamDef) bool { return d.Name == name })
		if i < 0 {
			return nil, serverError("java.lang.IllegalArgumentException: No such parameter definition: " + name)
		}
		p, resp := checkValue(in.Params[i], jsonString(e["value"]))
		if resp != nil {
			return nil, resp
		}
		if p.def.Type == "boolean" {
			params[name] = p.value == "true"
		} else {
			params[name] = p.value
		}
	}
	return params, nil
}

// settle records an answer and relays the log out, since the pause's end
// moves everything after it.
func (s *Server) settle(rq *request, b *build, k int, action string, reject bool, params map[string]any) {
	rec := InputAnswer{Build: b.number, ID: inputID(b.script.Inputs[k]), Action: action, Rejected: reject,
		By: rq.c.name(), Params: params, At: rq.now}
	b.pipe.answers = append(b.pipe.answers, answer{input: k, at: rq.now.Sub(b.start), reject: reject, user: rq.c.user, rec: rec})
	b.log = newConsoleLog(b)
}

// wfPendingInput is PendingInputActionsExt.
type wfPendingInput struct {
	ID                  string         `json:"id"`
	ProceedText         string         `json:"proceedText"`
	Message             string         `json:"message"`
	Inputs              []wfInputParam `json:"inputs"`
	ProceedURL          string         `json:"proceedUrl"`
	AbortURL            string         `json:"abortUrl"`
	RedirectApprovalURL string         `json:"redirectApprovalUrl"`
}

type wfInputParam struct {
	Type        string         `json:"type"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Definition  map[string]any `json:"definition"`
}

func (s *Server) pendingInputActions(rq *request, b *build) []wfPendingInput {
	base := s.buildPath(b)
	out := []wfPendingInput{}
	for _, k := range b.pendingInputs(rq.now.Sub(b.start), b.timeline()) {
		in := b.script.Inputs[k]
		id := rawEncode(inputID(in))
		p := wfPendingInput{ID: inputID(in), ProceedText: cmp.Or(in.OK, "Proceed"), Message: in.Message,
			Inputs: []wfInputParam{}, ProceedURL: base + "wfapi/inputSubmit?inputId=" + id,
			AbortURL: base + "input/" + id + "/abort", RedirectApprovalURL: base + "input/"}
		for _, d := range in.Params {
			kind := paramKinds[d.Type].def
			def := map[string]any{}
			switch d.Type {
			case "boolean":
				def["defaultVal"] = d.defaultValue() == "true"
			case "choice":
				def["defaultVal"], def["choices"] = d.defaultValue(), d.Choices
			case "string", "text", "password": // passwords in clear, as Jenkins does
				def["defaultVal"] = d.defaultValue()
			}
			p.Inputs = append(p.Inputs, wfInputParam{Type: kind[strings.LastIndexByte(kind, '.')+1:], Name: d.Name, Definition: def})
		}
		out = append(out, p)
	}
	return out
}

// inputSubmit is RunAPI.doInputSubmit: always proceeds, with a json form.
func (s *Server) inputSubmit(rq *request, b *build) *response {
	if rq.r.Method != http.MethodPost {
		return methodNotAllowed()
	}
	k := b.pendingInput(rq.form.first("inputId"), rq.now)
	if k < 0 {
		return serverError("javax.servlet.ServletException: No such input: " + rq.form.first("inputId"))
	}
	in := b.script.Inputs[k]
	if resp := s.checkSettle(rq, in, false); resp != nil {
		return resp
	}
	params, resp := submittedParams(rq, in)
	if resp != nil {
		return resp
	}
	s.settle(rq, b, k, "inputSubmit", false, params)
	return wfJSON(nil)
}

// InputAnswers returns the answers to the job's input steps received over
// HTTP, in order; answers given by Input.AnswerBy are not included.
func (s *Server) InputAnswers(fullName string) []InputAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.lookup(fullName)
	if j == nil {
		return nil
	}
	var out []InputAnswer
	for _, b := range j.builds {
		for _, a := range b.pipe.answers {
			out = append(out, a.rec)
		}
	}
	slices.SortStableFunc(out, func(x, y InputAnswer) int { return x.At.Compare(y.At) })
	return out
}
