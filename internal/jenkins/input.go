package jenkins

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// InputParam is a parameter of an input step.
type InputParam struct {
	Name, Type, Description string
	// Default is the parameter's default as text (a Choice's is its first
	// choice), when HasDefault. A Secret's is never read: its HasDefault
	// says Jenkins has one, which ProceedInput asks Jenkins to use.
	Default    string
	HasDefault bool
	Choices    []string
	// Secret is a password parameter.
	Secret bool
}

// PendingInput is an input step waiting for an answer.
type PendingInput struct {
	// ID is exactly as Jenkins gives it; another case is a 404.
	ID string
	// Message, OK and Cancel are the question and its buttons' captions;
	// Cancel and Submitter are "" when only wfapi was asked, which does
	// not give them. Submitter lists who may answer ("" anyone with
	// Job/Build).
	Message, OK, Cancel, Submitter string
	Params                         []InputParam
}

// ErrInputsUnknown means Jenkins cannot say which inputs are pending: its
// input-step plugin predates the export of InputAction (466), and Stage
// View's wfapi is not installed.
var ErrInputsUnknown = errors.New("cannot tell which inputs are pending: the input-step plugin is older than 466 and Stage View (pipeline-rest-api) is not installed")

// ErrInputGone means the input is no longer pending: someone answered it,
// the build ended, or its id is wrong.
var ErrInputGone = errors.New("the input is no longer pending (already answered, the build ended, or a wrong id)")

// InputRefusedError is Jenkins refusing an answer, such as to a user who is
// not among the input's submitters. Sending it again cannot help.
type InputRefusedError struct{ ID, Message string }

func (e *InputRefusedError) Error() string {
	return fmt.Sprintf("Jenkins refused the answer to input %s: %s", e.ID, e.Message)
}

// InputPagePath is the escaped path of the page where build n's inputs are
// answered, below the base URL.
func InputPagePath(job Job, n int) string { return BuildPath(job, n) + "input/" }

// inputTree reads InputAction as exported since input-step 466; Stapler's
// tree= ignores the visibility that hides it at depth 0.
const inputTree = "actions[waitingForInput,executions[id,settled,input[id,message,ok,cancel,submitter,parameters[name,type,description,choices,defaultParameterValue[value]]]]]"

// inputActions is a build's actions as read with inputTree.
type inputActions struct {
	Actions []struct {
		Class           string `json:"_class"`
		WaitingForInput *bool  `json:"waitingForInput"`
		Executions      []struct {
			ID      string `json:"id"`
			Settled bool   `json:"settled"`
			Input   struct {
				ID         string `json:"id"`
				Message    string `json:"message"`
				OK         string `json:"ok"`
				Cancel     string `json:"cancel"`
				Submitter  string `json:"submitter"`
				Parameters []struct {
					Name         string   `json:"name"`
					Type         string   `json:"type"`
					Description  string   `json:"description"`
					Choices      []string `json:"choices"`
					DefaultValue *struct {
						Value json.RawMessage `json:"value"`
					} `json:"defaultParameterValue"`
				} `json:"parameters"`
			} `json:"input"`
		} `json:"executions"`
	} `json:"actions"`
}

// pending returns the unsettled inputs, and whether the InputAction is the
// legacy one that exports nothing, so that only wfapi can tell.
func (a *inputActions) pending() (inputs []PendingInput, legacy bool) {
	inputs = []PendingInput{}
	for _, act := range a.Actions {
		if act.Class != inputActionClass {
			continue
		}
		if act.WaitingForInput == nil && act.Executions == nil {
			legacy = true
			continue
		}
		for _, ex := range act.Executions {
			in := PendingInput{
				ID:        firstNonEmpty(ex.ID, ex.Input.ID),
				Message:   ex.Input.Message,
				OK:        ex.Input.OK,
				Cancel:    ex.Input.Cancel,
				Submitter: ex.Input.Submitter,
			}
			if ex.Settled || in.ID == "" {
				continue
			}
			for _, p := range ex.Input.Parameters {
				ip := InputParam{Name: p.Name, Type: p.Type, Description: p.Description, Choices: p.Choices, Secret: isSecret(p.Type)}
				switch {
				case ip.Secret:
					// Jenkins never exports a password's default.
					ip.HasDefault = p.DefaultValue != nil
				case p.DefaultValue != nil:
					ip.Default, ip.HasDefault = plainValue(p.DefaultValue.Value)
				}
				in.Params = append(in.Params, ip.withChoiceDefault())
			}
			inputs = append(inputs, in)
		}
	}
	return inputs, legacy
}

// firstNonEmpty returns the first of a and b that is not empty.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func isSecret(typ string) bool { return typ == "PasswordParameterDefinition" }

// withChoiceDefault gives a choice parameter without a default its first
// choice, which is what Jenkins uses.
func (p InputParam) withChoiceDefault() InputParam {
	if !p.HasDefault && !p.Secret && len(p.Choices) > 0 {
		p.Default, p.HasDefault = p.Choices[0], true
	}
	return p
}

// plainValue renders a JSON string, boolean or number as text. Anything
// else, null included, is no value an answer could carry.
func plainValue(raw json.RawMessage) (string, bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return string(bytes.TrimSpace(raw)), true
	}
	return "", false
}

// wfapiInput is an entry of wfapi/pendingInputActions. It gives a
// password's default in clear; that is never kept.
type wfapiInput struct {
	ID          string `json:"id"`
	ProceedText string `json:"proceedText"`
	Message     string `json:"message"`
	Inputs      []struct {
		Type        string `json:"type"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Definition  struct {
			DefaultVal json.RawMessage `json:"defaultVal"`
			Choices    []string        `json:"choices"`
		} `json:"definition"`
	} `json:"inputs"`
}

func wfapiPending(list []wfapiInput) []PendingInput {
	inputs := []PendingInput{}
	for _, w := range list {
		if w.ID == "" {
			continue
		}
		in := PendingInput{ID: w.ID, Message: w.Message, OK: w.ProceedText}
		for _, p := range w.Inputs {
			ip := InputParam{Name: p.Name, Type: p.Type, Description: p.Description, Choices: p.Definition.Choices, Secret: isSecret(p.Type)}
			if ip.Secret {
				ip.HasDefault = true // Jenkins always has one, if only ""
			} else if p.Definition.DefaultVal != nil {
				ip.Default, ip.HasDefault = plainValue(p.Definition.DefaultVal)
			}
			in.Params = append(in.Params, ip.withChoiceDefault())
		}
		inputs = append(inputs, in)
	}
	return inputs
}

// PendingInputs lists the inputs build n waits for, from its InputAction,
// or when that exports nothing (input-step before 466), from
// wfapi/pendingInputActions. Without either it returns ErrInputsUnknown.
func (c *Client) PendingInputs(ctx context.Context, job Job, n int) ([]PendingInput, error) {
	inputs, err := c.pendingInputs(ctx, job, n)
	if err != nil {
		return nil, fmt.Errorf("read pending inputs of %s #%d: %w", job.Name, n, err)
	}
	return inputs, nil
}

func (c *Client) pendingInputs(ctx context.Context, job Job, n int) ([]PendingInput, error) {
	var a inputActions
	if err := c.getJSON(ctx, BuildPath(job, n)+"api/json", inputTree, &a); err != nil {
		return nil, err
	}
	inputs, legacy := a.pending()
	if !legacy {
		return inputs, nil
	}
	m := c.memory()
	m.mu.Lock()
	absent := m.wfapiAbsent
	m.mu.Unlock()
	if absent {
		return nil, ErrInputsUnknown
	}
	var list []wfapiInput
	err := c.getJSON(ctx, BuildPath(job, n)+"wfapi/pendingInputActions", "", &list)
	if errors.Is(err, ErrNotFound) {
		m.mu.Lock()
		m.wfapiAbsent = true
		m.mu.Unlock()
		return nil, ErrInputsUnknown
	}
	if err != nil {
		return nil, err
	}
	return wfapiPending(list), nil
}

// Unanswerable says why the input cannot be answered with its defaults, or
// returns "" when it can.
func (in PendingInput) Unanswerable() string {
	var missing []string
	for _, p := range in.Params {
		if !p.HasDefault {
			missing = append(missing, fmt.Sprintf("%q (%s)", p.Name, p.Type))
		}
	}
	switch len(missing) {
	case 0:
		return ""
	case 1:
		return "its parameter " + missing[0] + " has no default value"
	}
	return "its parameters " + strings.Join(missing, ", ") + " have no default value"
}

// passwordDefault asks Jenkins for a password parameter's own default
// (PasswordParameterDefinition.DEFAULT_VALUE), which never leaves Jenkins.
const passwordDefault = "<DEFAULT>"

// proceedForm is the form of a proceed: every parameter set to its default
// explicitly, since Jenkins sets those left out to null.
func (in PendingInput) proceedForm() (url.Values, error) {
	type value struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	params := []value{}
	for _, p := range in.Params {
		v := any(p.Default)
		switch {
		case p.Secret:
			v = passwordDefault
		case p.Type == "BooleanParameterDefinition":
			if b, err := strconv.ParseBool(p.Default); err == nil {
				v = b
			}
		}
		params = append(params, value{Name: p.Name, Value: v})
	}
	j, err := json.Marshal(map[string]any{"parameter": params})
	if err != nil {
		return nil, err
	}
	return url.Values{"json": {string(j)}}, nil
}

// ProceedInput answers input in of build n with its OK button, every
// parameter set to its default. It sends the answer once: a refusal is an
// *InputRefusedError, an input no longer pending ErrInputGone.
func (c *Client) ProceedInput(ctx context.Context, job Job, n int, in PendingInput) error {
	if why := in.Unanswerable(); why != "" {
		return fmt.Errorf("proceed input %s of %s #%d: cannot answer with defaults: %s", in.ID, job.Name, n, why)
	}
	form, err := in.proceedForm()
	if err != nil {
		return fmt.Errorf("proceed input %s of %s #%d: %w", in.ID, job.Name, n, err)
	}
	body := form.Encode()
	return c.answerInput(ctx, job, n, in.ID, "proceed", []byte(body))
}

// AbortInput answers input id of build n with its Cancel button, which
// aborts the build unless the Pipeline catches it.
func (c *Client) AbortInput(ctx context.Context, job Job, n int, id string) error {
	return c.answerInput(ctx, job, n, id, "abort", nil)
}

func (c *Client) answerInput(ctx context.Context, job Job, n int, id, verb string, form []byte) error {
	if id == "" {
		return fmt.Errorf("%s input of %s #%d: the input has no id", verb, job.Name, n)
	}
	r := request{path: InputPagePath(job, n) + rawEncode(id) + "/" + verb}
	if form != nil {
		r.header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		r.body = func() (io.Reader, int64, error) { return bytes.NewReader(form), int64(len(form)), nil }
	}
	err := c.post(ctx, r, discard)
	var he *HTTPError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		err = fmt.Errorf("%w: %w", ErrInputGone, err)
	case errors.Is(err, errBadRequest) && errors.As(err, &he):
		// Jenkins' hudson.model.Failure: a 400 whose page says why.
		err = &InputRefusedError{ID: id, Message: cmp.Or(he.XError, he.Body)}
	case errors.Is(err, errMethodNotAllowed):
		err = fmt.Errorf("the answer did not arrive as a POST (a proxy redirecting it?): %w", err)
	}
	return fmt.Errorf("%s input %s of %s #%d: %w", verb, id, job.Name, n, err)
}
