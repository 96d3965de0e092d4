package jenkinstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// sample is a job-like object: nested builds of another class, a nested
// object without brackets, and visibility levels.
func sample() *jobj {
	build := func(n int) *jobj {
		return newObj("hudson.model.FreeStyleBuild").
			addVis("number", 2, n).
			add("queueId", 100+n).
			addVis("url", 2, "u/"+string(rune('0'+n))+"/").
			add("actions", []any{newObj(""), newObj("hudson.model.CauseAction").addVis("causes", 2, []any{"c"})})
	}
	return newObj("hudson.model.FreeStyleProject").
		add("name", "demo").
		add("description", nil).
		add("builds", []any{build(3), build(2), build(1)}).
		add("lastBuild", build(3)).
		add("tags", []any{"a", "b"})
}

func prune(t *testing.T, tree string) string {
	t.Helper()
	p, err := parseTree(tree)
	if err != nil {
		t.Fatalf("parseTree(%q): %v", tree, err)
	}
	var buf bytes.Buffer
	encode(&buf, sample(), p)
	return buf.String()
}

func TestTree(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ tree, want string }{
		{"name", `{"_class":"hudson.model.FreeStyleProject","name":"demo"}`},
		{"description", `{"_class":"hudson.model.FreeStyleProject","description":null}`},
		{"lastBuild", `{"_class":"hudson.model.FreeStyleProject","lastBuild":{"_class":"hudson.model.FreeStyleBuild"}}`},
		{"lastBuild[number,url]", `{"_class":"hudson.model.FreeStyleProject","lastBuild":{"_class":"hudson.model.FreeStyleBuild","number":3,"url":"u/3/"}}`},
		{"builds[number]{1}", `{"_class":"hudson.model.FreeStyleProject","builds":[{"_class":"hudson.model.FreeStyleBuild","number":2}]}`},
		{"builds[number]{1,}", `{"_class":"hudson.model.FreeStyleProject","builds":[{"_class":"hudson.model.FreeStyleBuild","number":2},{"_class":"hudson.model.FreeStyleBuild","number":1}]}`},
		{"builds[number]{,1}", `{"_class":"hudson.model.FreeStyleProject","builds":[{"_class":"hudson.model.FreeStyleBuild","number":3}]}`},
		{"builds[number]{0,2}", `{"_class":"hudson.model.FreeStyleProject","builds":[{"_class":"hudson.model.FreeStyleBuild","number":3},{"_class":"hudson.model.FreeStyleBuild","number":2}]}`},
		{"builds[number]{5,9}", `{"_class":"hudson.model.FreeStyleProject","builds":[]}`},
		{"builds[number]{2,1}", `{"_class":"hudson.model.FreeStyleProject","builds":[]}`},
		{"builds[queueId,actions[causes]]{0}", `{"_class":"hudson.model.FreeStyleProject","builds":[{"_class":"hudson.model.FreeStyleBuild","queueId":103,"actions":[{},{"_class":"hudson.model.CauseAction","causes":["c"]}]}]}`},
		{"tags{1}", `{"_class":"hudson.model.FreeStyleProject","tags":["b"]}`},
		{"*", `{"_class":"hudson.model.FreeStyleProject","name":"demo","description":null,"builds":[{"_class":"hudson.model.FreeStyleBuild"},{"_class":"hudson.model.FreeStyleBuild"},{"_class":"hudson.model.FreeStyleBuild"}],"lastBuild":{"_class":"hudson.model.FreeStyleBuild"},"tags":["a","b"]}`},
		{"lastBuild[*]", `{"_class":"hudson.model.FreeStyleProject","lastBuild":{"_class":"hudson.model.FreeStyleBuild","number":3,"queueId":103,"url":"u/3/","actions":[{},{"_class":"hudson.model.CauseAction"}]}}`},
		{"nosuch,name", `{"_class":"hudson.model.FreeStyleProject","name":"demo"}`},
		{" name", `{"_class":"hudson.model.FreeStyleProject"}`}, // names are not trimmed
	} {
		if got := prune(t, tt.tree); got != tt.want {
			t.Errorf("tree=%s\n got %s\nwant %s", tt.tree, got, tt.want)
		}
	}
}

func TestTreeMalformed(t *testing.T) {
	t.Parallel()
	for _, tree := range []string{"", ",", "a,", "a[", "a[b", "a]", "a[]", "a{", "a{x}", "a{1", "a{-1}", "a{1,2,3}", "[a]", "a}b", "a{1}{2}", "a{99999999999}"} {
		if _, err := parseTree(tree); !errors.Is(err, errTree) {
			t.Errorf("parseTree(%q) = %v, want errTree", tree, err)
		}
	}
}

func TestDepth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		depth string
		want  string
	}{
		{"", `{"_class":"hudson.model.FreeStyleProject","name":"demo","description":null,"builds":[{"_class":"hudson.model.FreeStyleBuild","number":3,"url":"u/3/"},{"_class":"hudson.model.FreeStyleBuild","number":2,"url":"u/2/"},{"_class":"hudson.model.FreeStyleBuild","number":1,"url":"u/1/"}],"lastBuild":{"_class":"hudson.model.FreeStyleBuild","number":3,"url":"u/3/"},"tags":["a","b"]}`},
		{"1", `{"_class":"hudson.model.FreeStyleProject","name":"demo","description":null,"builds":[{"_class":"hudson.model.FreeStyleBuild","number":3,"queueId":103,"url":"u/3/","actions":[{},{"_class":"hudson.model.CauseAction","causes":["c"]}]},{"_class":"hudson.model.FreeStyleBuild","number":2,"queueId":102,"url":"u/2/","actions":[{},{"_class":"hudson.model.CauseAction","causes":["c"]}]},{"_class":"hudson.model.FreeStyleBuild","number":1,"queueId":101,"url":"u/1/","actions":[{},{"_class":"hudson.model.CauseAction","causes":["c"]}]}],"lastBuild":{"_class":"hudson.model.FreeStyleBuild","number":3,"queueId":103,"url":"u/3/","actions":[{},{"_class":"hudson.model.CauseAction","causes":["c"]}]},"tags":["a","b"]}`},
	} {
		p, err := pruneFor("", tt.depth, false)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		encode(&buf, sample(), p)
		if buf.String() != tt.want {
			t.Errorf("depth=%s\n got %s\nwant %s", tt.depth, buf.String(), tt.want)
		}
	}
	if _, err := pruneFor("", "deep", false); err == nil {
		t.Error("depth=deep accepted")
	}
}

// TestInline: an inline property keeps its parent's depth, so its value's
// own properties show where a nested object would show only its _class;
// tree= ignores inlining.
func TestInline(t *testing.T) {
	t.Parallel()
	queue := newObj("hudson.model.Queue").addInline("items", []any{
		newObj("hudson.model.Queue$WaitingItem").add("id", 1).
			add("task", newObj("hudson.model.FreeStyleProject").addVis("name", 2, "app").add("fullName", "f/app")),
	})
	for _, tt := range []struct{ depth, tree, want string }{
		{"", "", `{"_class":"hudson.model.Queue","items":[{"_class":"hudson.model.Queue$WaitingItem","id":1,"task":{"_class":"hudson.model.FreeStyleProject","name":"app"}}]}`},
		{"1", "", `{"_class":"hudson.model.Queue","items":[{"_class":"hudson.model.Queue$WaitingItem","id":1,"task":{"_class":"hudson.model.FreeStyleProject","name":"app","fullName":"f/app"}}]}`},
		{"", "items[task]", `{"_class":"hudson.model.Queue","items":[{"_class":"hudson.model.Queue$WaitingItem","task":{"_class":"hudson.model.FreeStyleProject"}}]}`},
	} {
		p, err := pruneFor(tt.tree, tt.depth, tt.tree != "")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		encode(&buf, queue, p)
		if buf.String() != tt.want {
			t.Errorf("depth=%q tree=%q\n got %s\nwant %s", tt.depth, tt.tree, buf.String(), tt.want)
		}
	}
}

func FuzzTree(f *testing.F) {
	for _, seed := range []string{"name", "builds[number,url]{0,50}", "a[b[c{1}]]{,2}", "*", "x{1,}", "]", "a{"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tree string) {
		p, err := parseTree(tree)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		encode(&buf, sample(), p)
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("tree=%q gave invalid JSON %s", tree, buf.String())
		}
	})
}
