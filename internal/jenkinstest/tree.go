package jenkinstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The fake builds every API answer as a generic object graph (jobj, []any
// and JSON scalars), like Stapler's exported beans, and then prunes it while
// writing, either by depth and per-property visibility or by a tree= spec.
// Building first and pruning second keeps the models simple and makes tree=
// behave the same on every endpoint.

// jobj is an exported object: an optional _class and ordered properties.
type jobj struct {
	class  string // written as _class when not empty
	fields []jfield
}

type jfield struct {
	name  string
	vis   int // @Exported(visibility=...): 1 unless a nested object shows it
	value any // nil, bool, int, int64, float64, string, *jobj or []any
	// inline is @Exported(inline=true): the value's own properties are
	// pruned at this object's level, as if they were its own.
	inline bool
}

func newObj(class string) *jobj { return &jobj{class: class} }

// add appends a property with the default visibility 1.
func (o *jobj) add(name string, value any) *jobj { return o.addVis(name, 1, value) }

// addVis appends a property with an explicit visibility.
func (o *jobj) addVis(name string, vis int, value any) *jobj {
	o.fields = append(o.fields, jfield{name: name, vis: vis, value: value})
	return o
}

// addInline appends an inline property with the default visibility 1.
func (o *jobj) addInline(name string, value any) *jobj {
	o.fields = append(o.fields, jfield{name: name, vis: 1, value: value, inline: true})
	return o
}

// pruner decides which properties are written, like Stapler's TreePruner.
type pruner interface {
	// accept returns the pruner for the property's value, or false to skip it.
	accept(f jfield) (pruner, bool)
	// window returns the half-open index range of a collection of n elements.
	window(n int) (lo, hi int)
}

// byDepth is Stapler's default pruner: depth d starts at ByDepth(1-d), and
// each nesting level needs one more visibility, except through an inline
// property, which keeps the level.
type byDepth int

func (p byDepth) accept(f jfield) (pruner, bool) {
	switch {
	case f.vis < int(p):
		return nil, false
	case f.inline:
		return p, true
	}
	return p + 1, true
}

func (byDepth) window(n int) (int, int) { return 0, n }

// treeSpec is a parsed tree= node (Stapler's NamedPathPruner.Tree).
type treeSpec struct {
	children map[string]*treeSpec
	lo, hi   int
}

// accept ignores visibility and inlining, as NamedPathPruner does.
func (t *treeSpec) accept(f jfield) (pruner, bool) {
	c, ok := t.children[f.name]
	if !ok {
		c, ok = t.children["*"]
	}
	if !ok {
		return nil, false
	}
	return c, true
}

func (t *treeSpec) window(n int) (int, int) {
	hi := min(t.hi, n)
	if t.lo >= hi {
		return 0, 0
	}
	return t.lo, hi
}

var errTree = errors.New("malformed tree")

// parseTree parses Stapler's tree grammar:
//
//	list  := node (',' list)?
//	node  := name ('[' list ']')? ('{' range '}')?
//	range := N | N ',' | ',' M | N ',' M
//
// Names are any text up to the next of ",[]{}" (not trimmed); "*" matches
// any property. Like Stapler, it rejects an empty spec.
func parseTree(spec string) (*treeSpec, error) {
	p := &treeParser{s: spec}
	root := newTreeSpec()
	if err := p.list(root); err != nil {
		return nil, err
	}
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("%w: expected EOF at %d", errTree, p.pos)
	}
	return root, nil
}

func newTreeSpec() *treeSpec {
	return &treeSpec{children: map[string]*treeSpec{}, hi: math.MaxInt32}
}

type treeParser struct {
	s   string
	pos int
}

// token returns the next token: one of ",[]{}" or a name; "" at the end.
func (p *treeParser) token() string {
	if p.pos == len(p.s) {
		return ""
	}
	if strings.IndexByte(",[]{}", p.s[p.pos]) >= 0 {
		return p.s[p.pos : p.pos+1]
	}
	end := strings.IndexAny(p.s[p.pos:], ",[]{}")
	if end < 0 {
		return p.s[p.pos:]
	}
	return p.s[p.pos : p.pos+end]
}

func isPunct(tok string) bool { return len(tok) == 1 && strings.Contains(",[]{}", tok) }

func (p *treeParser) accept(tok string) bool {
	if p.pos < len(p.s) && p.token() == tok && isPunct(tok) {
		p.pos++
		return true
	}
	return false
}

func (p *treeParser) expect(tok string) error {
	if !p.accept(tok) {
		return fmt.Errorf("%w: expected %q at %d", errTree, tok, p.pos)
	}
	return nil
}

func (p *treeParser) list(t *treeSpec) error {
	for {
		if err := p.node(t); err != nil {
			return err
		}
		if !p.accept(",") {
			return nil
		}
	}
}

func (p *treeParser) node(t *treeSpec) error {
	name := p.token()
	if name == "" || isPunct(name) {
		return fmt.Errorf("%w: expected name at %d", errTree, p.pos)
	}
	p.pos += len(name)
	sub := newTreeSpec()
	t.children[name] = sub
	if p.accept("[") {
		if err := p.list(sub); err != nil {
			return err
		}
		if err := p.expect("]"); err != nil {
			return err
		}
	}
	if p.accept("{") {
		if err := p.rangeSpec(sub); err != nil {
			return err
		}
		return p.expect("}")
	}
	return nil
}

func (p *treeParser) rangeSpec(t *treeSpec) error {
	if p.accept(",") { // {,M}
		m, err := p.number()
		t.lo, t.hi = 0, m
		return err
	}
	n, err := p.number()
	if err != nil {
		return err
	}
	if p.token() == "}" { // {N}
		t.lo, t.hi = n, n+1
		return nil
	}
	if err := p.expect(","); err != nil {
		return err
	}
	if p.token() == "}" { // {N,}
		t.lo = n
		return nil
	}
	m, err := p.number() // {N,M}
	t.lo, t.hi = n, m
	return err
}

func (p *treeParser) number() (int, error) {
	tok := p.token()
	if tok == "" || isPunct(tok) || strings.Trim(tok, "0123456789") != "" {
		return 0, fmt.Errorf("%w: expected number at %d", errTree, p.pos)
	}
	n, err := strconv.ParseInt(tok, 10, 32) // Integer.parseInt overflows into a 500 too
	if err != nil || n == math.MaxInt32 {
		return 0, fmt.Errorf("%w: bad number at %d", errTree, p.pos)
	}
	p.pos += len(tok)
	return int(n), nil
}

// pruneFor returns the pruner selected by the request's tree= and depth=
// parameters; tree wins over depth, as in Stapler.
func pruneFor(tree, depth string, hasTree bool) (pruner, error) {
	if hasTree {
		return parseTree(tree)
	}
	d := 0
	if depth != "" {
		n, err := strconv.Atoi(depth)
		if err != nil {
			return nil, fmt.Errorf("bad depth %q", depth)
		}
		d = n
	}
	return byDepth(1 - d), nil
}

// encode writes v as JSON, pruned by p.
func encode(buf *bytes.Buffer, v any, p pruner) {
	switch v := v.(type) {
	case *jobj:
		buf.WriteByte('{')
		first := true
		sep := func() {
			if !first {
				buf.WriteByte(',')
			}
			first = false
		}
		if v.class != "" {
			sep()
			buf.WriteString(`"_class":`)
			writeScalar(buf, v.class)
		}
		for _, f := range v.fields {
			child, ok := p.accept(f)
			if !ok {
				continue
			}
			sep()
			writeScalar(buf, f.name)
			buf.WriteByte(':')
			encode(buf, f.value, child)
		}
		buf.WriteByte('}')
	case []any:
		lo, hi := p.window(len(v))
		buf.WriteByte('[')
		for i, e := range v[lo:hi] {
			if i > 0 {
				buf.WriteByte(',')
			}
			encode(buf, e, p)
		}
		buf.WriteByte(']')
	default:
		writeScalar(buf, v)
	}
}

func writeScalar(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only scalars reach here; a failure is a bug in the fake
		panic(fmt.Sprintf("jenkinstest: cannot encode %T: %v", v, err))
	}
	buf.Write(b)
}
