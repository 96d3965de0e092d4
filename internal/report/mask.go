package report

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/jenkins-trigger/jenkins-trigger/internal/contract"
	"github.com/jenkins-trigger/jenkins-trigger/internal/secret"
)

// masker knows the secrets: it hides them, in every form, in what the
// reporter prints, and keeps them out of the outputs without altering one.
type masker struct {
	mu     sync.Mutex
	values []string
	set    *secret.Set
	// withheld are the outputs withheld so far, each said once.
	withheld map[string]bool
}

// add learns a secret, and returns the forms of it not known before.
func (m *masker) add(value string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if value == "" || slices.Contains(m.values, value) {
		return nil
	}
	known := m.set.Forms()
	m.values = append(m.values, value)
	m.set = secret.NewSet(m.values...)
	var fresh []string
	for _, f := range secret.Forms(value) {
		if !slices.Contains(known, f) {
			fresh = append(fresh, f)
		}
	}
	return fresh
}

// secrets returns the forms known now; a Set never changes.
func (m *masker) secrets() *secret.Set {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.set
}

func (m *masker) apply(s string) string { return m.secrets().Replace(s) }

// output writes a step output as it is, unless its text (as
// contract.Output.Text tells it) holds a secret, which only Jenkins can
// have put there: then the output is withheld, and the error says so the
// first time. Masking it would corrupt it, as masking a secret such as
// "1000" or "http" would a number or a URL, which are never checked.
func (m *masker) output(o *outputs, name, value string) error {
	if where, echoed := m.echoed(name, value); echoed {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.withheld[name] {
			return nil
		}
		if m.withheld == nil {
			m.withheld = map[string]bool{}
		}
		m.withheld[name] = true
		return fmt.Errorf("output %s is withheld: Jenkins echoed a secret into %s", name, where)
	}
	return o.set(name, value)
}

// echoed reports whether the text of an output holds a secret, and where.
func (m *masker) echoed(name, value string) (where string, ok bool) {
	set := m.secrets()
	out, _ := contract.LookupOutput(name)
	switch {
	case out.Text.None || set == nil:
		return "", false
	case len(out.Text.Fields) > 0:
		var v any
		if json.Unmarshal([]byte(value), &v) == nil {
			return echoedIn(v, out.Text.Fields, set)
		}
	}
	return "it", set.Contains(value)
}

// echoedIn looks for a secret in the text fields of a JSON value.
func echoedIn(v any, fields []string, set *secret.Set) (where string, ok bool) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if s, isText := v[k].(string); isText && slices.Contains(fields, k) && set.Contains(s) {
				return "its " + k, true
			}
			if where, ok := echoedIn(v[k], fields, set); ok {
				return where, ok
			}
		}
	case []any:
		for _, x := range v {
			if where, ok := echoedIn(x, fields, set); ok {
				return where, ok
			}
		}
	}
	return "", false
}
