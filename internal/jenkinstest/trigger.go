package jenkinstest

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// UploadedFile is a file parameter as received.
type UploadedFile struct {
	Filename string
	Size     int64
	SHA256   string // hex
	Content  []byte // only when Size <= 1 MiB
}

// keepContent is the largest upload whose content is kept; bigger ones are
// only hashed on the way through.
const keepContent = 1 << 20

// maxField bounds a urlencoded body or a multipart text field.
const maxField = 10 << 20

// form holds a request's parameters as Stapler's getParameter sees them.
type form struct {
	values map[string][]string     // query, then urlencoded or multipart fields
	files  map[string]UploadedFile // first multipart part of each name
	// crumbField is a Jenkins-Crumb from the query or an urlencoded body:
	// CrumbFilter uses the servlet's getParameter, blind to multipart.
	crumbField string
}

func (f *form) first(name string) string {
	if v := f.values[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// isTriggerPath reports whether the path may carry a multipart upload.
func isTriggerPath(segs []string) bool {
	if len(segs) == 0 {
		return false
	}
	last := segs[len(segs)-1]
	return segs[0] == "buildByToken" || last == "build" || last == "buildWithParameters"
}

// parseForm reads the query and, for a POST, an urlencoded body, or a
// multipart body on trigger paths. Uploads are streamed through a hash.
// It runs before the server lock is taken, so a big upload holds up nobody.
func parseForm(r *http.Request, multipartOK bool) (*form, error) {
	f := &form{values: map[string][]string{}, files: map[string]UploadedFile{}}
	for k, v := range r.URL.Query() {
		f.values[k] = append(f.values[k], v...)
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodPost && ct == "application/x-www-form-urlencoded" {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxField))
		if err != nil {
			return f, err
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return f, err
		}
		for k, v := range vals {
			f.values[k] = append(f.values[k], v...)
		}
	}
	f.crumbField = f.first("Jenkins-Crumb")
	if r.Method == http.MethodPost && ct == "multipart/form-data" && multipartOK {
		if err := f.readMultipart(r.Body, ctParams["boundary"]); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (f *form) readMultipart(body io.Reader, boundary string) error {
	if boundary == "" {
		return errors.New("multipart body without a boundary")
	}
	// multipart.Reader reads 4 KiB at a time; a big buffer underneath saves
	// a read from the connection for each of those.
	mr := multipart.NewReader(bufio.NewReaderSize(body, 256<<10), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := part.FormName()
		up, err := readUpload(part)
		if err != nil {
			return err
		}
		if part.FileName() == "" {
			if up.Size > keepContent {
				return fmt.Errorf("multipart field %s too large", name)
			}
			f.values[name] = append(f.values[name], string(up.Content))
		}
		// getFileItem2 sees every part, fields included; the first wins.
		if _, dup := f.files[name]; !dup {
			f.files[name] = up
		}
	}
}

// readUpload streams a part through SHA-256, keeping at most keepContent
// bytes of it.
func readUpload(part io.Reader) (UploadedFile, error) {
	var up UploadedFile
	if p, ok := part.(interface{ FileName() string }); ok {
		up.Filename = p.FileName()
	}
	h := sha256.New()
	keep := &capBuffer{limit: keepContent}
	n, err := io.Copy(io.MultiWriter(h, keep), part)
	if err != nil {
		return up, err
	}
	up.Size, up.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	if n <= keepContent {
		up.Content = keep.buf
	}
	return up, nil
}

// capBuffer keeps the first limit bytes written to it.
type capBuffer struct {
	buf   []byte
	limit int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.limit + 1 - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// paramValue is one parameter value of a queue item.
type paramValue struct {
	def   ParamDef
	value string // "true"/"false" for booleans, the file name for files
}

// shortDescription is how Queue.Item.getParams prints the value.
func (p paramValue) shortDescription() string {
	if p.def.Type == "password" {
		return p.def.Name + "=****"
	}
	return p.def.Name + "=" + p.value
}

func paramValueJSON(p paramValue) *jobj {
	o := newObj(paramKinds[p.def.Type].value).addVis("name", 4, p.def.Name)
	switch {
	case p.def.Type == "boolean":
		o.addVis("value", 4, p.value == "true")
	case p.def.Type == "password" || p.def.isFile(): // not exported
	default:
		o.addVis("value", 4, p.value)
	}
	return o
}

func parametersAction(ps []paramValue) *jobj {
	values := []any{}
	for _, p := range ps {
		values = append(values, paramValueJSON(p))
	}
	return newObj("hudson.model.ParametersAction").addVis("parameters", 2, values)
}

// paramMap returns the non-file values, as scripts and BuildRecord see them.
func paramMap(ps []paramValue) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		if !p.def.isFile() {
			m[p.def.Name] = p.value
		}
	}
	return m
}

// parseDelay is TimeDuration.fromString as bound by @QueryParameter: a bare
// number is milliseconds, only a "sec"/"secs" suffix is understood, and
// the queue takes whole seconds.
func parseDelay(f *form) (*time.Duration, *response) {
	vals, ok := f.values["delay"]
	if !ok {
		return nil, nil
	}
	text := strings.TrimSpace(vals[0])
	unit := time.Millisecond
	if strings.HasSuffix(text, "sec") || strings.HasSuffix(text, "secs") {
		text = strings.TrimSpace(text[:strings.LastIndex(text, "sec")])
		unit = time.Second
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, serverError("java.lang.IllegalArgumentException: Invalid duration value: " + vals[0])
	}
	d := (time.Duration(n) * unit).Truncate(time.Second)
	return &d, nil
}

// authorizeTrigger is BuildAuthorizationToken.checkPermission plus the
// build cause: a matching job token allows any caller and any method, a
// wrong one is a 403 even for an admin; otherwise Item.BUILD and POST.
func (s *Server) authorizeTrigger(rq *request, j *job) (cause, *response) {
	if tokens, sent := rq.form.values["token"]; sent && j.spec.BuildToken != "" {
		if tokens[0] != j.spec.BuildToken {
			return cause{}, htmlResponse(http.StatusForbidden, "Forbidden", "Invalid token provided")
		}
		return remoteCause(rq), nil
	}
	if !s.canBuild(rq.c) {
		return cause{}, s.forbidden(rq, "hudson.model.Item.Build")
	}
	if rq.r.Method != http.MethodPost {
		return cause{}, methodNotAllowed()
	}
	return cause{user: rq.c.user}, nil
}

func remoteCause(rq *request) cause {
	addr, _, err := net.SplitHostPort(rq.r.RemoteAddr)
	if err != nil {
		addr = rq.r.RemoteAddr
	}
	c := cause{remote: true, addr: addr}
	if notes := rq.form.values["cause"]; len(notes) > 0 {
		c.note = &notes[0]
	}
	return c
}

func notBuildable(j *job) *response {
	return htmlResponse(http.StatusConflict, "Error", j.fullName()+" is not buildable")
}

// queueLocation is the absolute Location of a queue item, built from the
// request's own Host like the servlet container does.
func (s *Server) queueLocation(rq *request, it *queueItem) string {
	return requestBase(rq.r) + s.ctx + "/queue/item/" + strconv.Itoa(it.id) + "/"
}

// refused is the answer to a trigger of a job with RefuseTrigger; nil
// otherwise. It comes after authorizeTrigger, which turns away what
// Jenkins would not act on (a GET without a token, a wrong token).
func (s *Server) refused(rq *request, j *job) *response {
	if j.spec.RefuseTrigger == 0 {
		return nil
	}
	return s.refusal(rq, j, j.spec.RefuseTrigger)
}

// refusal is Jenkins' page for a trigger it turns away with status. The
// pages are rendered in Jenkins' layout, so they advertise X-Jenkins, which
// tells them from a proxy's answer.
func (s *Server) refusal(rq *request, j *job, status int) *response {
	var resp *response
	switch status {
	case http.StatusForbidden:
		return s.forbidden(rq, "hudson.model.Item.Build")
	case http.StatusConflict:
		resp = notBuildable(j)
	case http.StatusInternalServerError:
		resp = oops()
	default:
		text := cmp.Or(http.StatusText(status), "Error")
		resp = htmlResponse(status, text, text)
	}
	s.advertise(resp.header)
	return resp
}

// triggerBuild is ParameterizedJobMixIn.doBuild.
func (s *Server) triggerBuild(rq *request, j *job) *response {
	delay, resp := parseDelay(rq.form)
	if resp != nil {
		return resp
	}
	if !j.buildable() {
		return notBuildable(j)
	}
	if j.spec.Params != nil && rq.r.Method != http.MethodPost {
		// ParametersDefinitionProperty/index.jelly: the form, with a 405.
		return htmlResponse(http.StatusMethodNotAllowed, j.node.fullDisplayName(), "This build requires parameters:")
	}
	c, resp := s.authorizeTrigger(rq, j)
	if resp != nil {
		return resp
	}
	if resp := s.refused(rq, j); resp != nil {
		return resp
	}
	if j.spec.Params != nil {
		return s.buildFromJSONForm(rq, j, c, delay)
	}
	it, _ := s.enqueue(j, nil, nil, c, "build", delay, rq.now)
	return emptyResponse(http.StatusCreated, s.queueLocation(rq, it))
}

// triggerWithParameters is ParameterizedJobMixIn.doBuildWithParameters.
func (s *Server) triggerWithParameters(rq *request, j *job) *response {
	delay, resp := parseDelay(rq.form)
	if resp != nil {
		return resp
	}
	c, resp := s.authorizeTrigger(rq, j)
	if resp != nil {
		return resp
	}
	if resp := s.refused(rq, j); resp != nil {
		return resp
	}
	if !j.buildable() {
		return notBuildable(j)
	}
	if j.spec.Params == nil {
		if s.opts.Legacy {
			return serverError("java.lang.IllegalStateException: This build is not parameterized!")
		}
		return htmlResponse(http.StatusBadRequest, "Bad Request", j.fullName()+" is not parameterized")
	}
	params, files, resp := readParams(j, rq.form)
	if resp != nil {
		return resp
	}
	it, created := s.enqueue(j, params, files, c, "buildWithParameters", delay, rq.now)
	switch {
	case created:
		return emptyResponse(http.StatusCreated, s.queueLocation(rq, it))
	case s.opts.Legacy: // 303 since 2.308
		return emptyResponse(http.StatusCreated, s.queueLocation(rq, it))
	}
	return emptyResponse(http.StatusSeeOther, s.queueLocation(rq, it))
}

// readParams is ParameterDefinition.createValue(req) for each definition:
// unknown names are ignored, a missing value gets the default (a missing
// file none), a repeated name or a bad choice is a 500. File parameters
// come only from multipart parts named like the parameter.
func readParams(j *job, f *form) ([]paramValue, map[string]UploadedFile, *response) {
	params := []paramValue{}
	files := map[string]UploadedFile{}
	for _, d := range j.spec.Params {
		if d.isFile() {
			if up, ok := f.files[d.Name]; ok {
				files[d.Name] = up
				params = append(params, paramValue{def: d, value: up.Filename})
			}
			continue
		}
		vals := f.values[d.Name]
		if len(vals) > 1 {
			return nil, nil, serverError(fmt.Sprintf("java.lang.IllegalArgumentException: Illegal number of parameter values for %s: %d", d.Name, len(vals)))
		}
		value := d.defaultValue()
		if len(vals) == 1 {
			value = vals[0]
		}
		p, resp := checkValue(d, value)
		if resp != nil {
			return nil, nil, resp
		}
		params = append(params, p)
	}
	return params, files, nil
}

// checkValue converts a submitted value: booleans are true only for a
// case-insensitive "true", choices must be offered.
func checkValue(d ParamDef, value string) (paramValue, *response) {
	switch d.Type {
	case "boolean":
		value = strconv.FormatBool(strings.EqualFold(value, "true"))
	case "choice":
		if !slices.Contains(d.Choices, value) {
			return paramValue{}, serverError(fmt.Sprintf("java.lang.IllegalArgumentException: Illegal choice for parameter %s: %s", d.Name, value))
		}
	}
	return paramValue{def: d, value: value}, nil
}

// buildFromJSONForm is ParametersDefinitionProperty._doBuild, the classic
// form path: json={"parameter":[{"name":..,"value":..}]}. Parameters left
// out get no value at all, and the Location is the job page (json-lib's
// optString("redirectTo") is "").
func (s *Server) buildFromJSONForm(rq *request, j *job, c cause, delay *time.Duration) *response {
	raw, ok := rq.form.values["json"]
	if !ok {
		return htmlResponse(http.StatusBadRequest, "Bad Request", "Nothing is submitted")
	}
	var submitted struct {
		Parameter  json.RawMessage `json:"parameter"`
		StatusCode json.Number     `json:"statusCode"`
	}
	dec := json.NewDecoder(strings.NewReader(raw[0]))
	dec.UseNumber()
	if err := dec.Decode(&submitted); err != nil {
		return serverError("net.sf.json.JSONException: " + err.Error())
	}
	var entries []map[string]any
	if t := bytes.TrimSpace(submitted.Parameter); len(t) > 0 && t[0] == '{' {
		var one map[string]any
		if err := json.Unmarshal(t, &one); err != nil {
			return serverError("net.sf.json.JSONException: " + err.Error())
		}
		entries = append(entries, one)
	} else if len(t) > 0 && string(t) != "null" {
		if err := json.Unmarshal(t, &entries); err != nil {
			return serverError("net.sf.json.JSONException: " + err.Error())
		}
	}
	params := []paramValue{}
	files := map[string]UploadedFile{}
	for _, e := range entries {
		name, _ := e["name"].(string)
		i := slices.IndexFunc(j.spec.Params, func(d ParamDef) bool { return d.Name == name })
		if i < 0 {
			return serverError("java.lang.IllegalArgumentException: No such parameter definition: " + name)
		}
		d := j.spec.Params[i]
		if slices.ContainsFunc(params, func(p paramValue) bool { return p.def.Name == name }) {
			return serverError("java.lang.IllegalArgumentException: Parameter " + name + " submitted twice")
		}
		if d.isFile() {
			up, ok := formFile(rq.form, d, e)
			if ok {
				files[name] = up
				params = append(params, paramValue{def: d, value: up.Filename})
			}
			continue
		}
		p, resp := checkValue(d, jsonString(e["value"]))
		if resp != nil {
			return resp
		}
		params = append(params, p)
	}
	status := http.StatusCreated
	if n, err := submitted.StatusCode.Int64(); err == nil && n >= 100 && n < 600 {
		status = int(n)
	}
	jobPage := requestBase(rq.r) + s.ctx + "/" + j.node.path()
	if _, created := s.enqueue(j, params, files, c, "build", delay, rq.now); !created {
		return emptyResponse(http.StatusFound, jobPage) // Queue.schedule returned null
	}
	return emptyResponse(status, jobPage)
}

// formFile finds a file parameter's upload on the form path: "file" names
// a multipart part; base64File also accepts inline "base64" content.
func formFile(f *form, d ParamDef, e map[string]any) (UploadedFile, bool) {
	if part, ok := e["file"].(string); ok {
		up, ok := f.files[part]
		return up, ok
	}
	if b64, ok := e["base64"].(string); ok && d.Type == "base64File" {
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return UploadedFile{}, false
		}
		up, _ := readUpload(bytes.NewReader(data))
		return up, true
	}
	return UploadedFile{}, false
}

func jsonString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// buildByToken is the build-token-root plugin: anonymous, any method, no
// crumb, the job named by its full name. Its 201 Location is root-relative.
func (s *Server) buildByToken(rq *request) *response {
	withParams := isPath(rq.segs, "buildByToken", "buildWithParameters")
	if !withParams && !isPath(rq.segs, "buildByToken", "build") {
		return notFound()
	}
	name := rq.form.first("job")
	j := s.lookup(name)
	if j == nil || j.deleted {
		return htmlResponse(http.StatusNotFound, "Not Found", "No such job "+name)
	}
	if j.spec.BuildToken == "" {
		return htmlResponse(http.StatusNotFound, "Not Found", name+" does not have a token configured")
	}
	if rq.form.first("token") != j.spec.BuildToken {
		return htmlResponse(http.StatusForbidden, "Forbidden", "Invalid token provided")
	}
	delay, resp := parseDelay(rq.form)
	if resp != nil {
		return resp
	}
	if resp := s.refused(rq, j); resp != nil { // any method: it has a token
		return resp
	}
	switch {
	case !withParams && j.spec.Params != nil:
		return htmlResponse(http.StatusBadRequest, "Bad Request", "Use /buildByToken/buildWithParameters for this job since it takes parameters")
	case withParams && j.spec.Params == nil:
		return htmlResponse(http.StatusBadRequest, "Bad Request", "Use /buildByToken/build for this job since it does not take parameters")
	case !j.buildable():
		return htmlResponse(http.StatusBadRequest, "Bad Request", name+" is not buildable")
	}
	var params []paramValue
	var files map[string]UploadedFile
	trigger := "build"
	if withParams {
		if params, files, resp = readParams(j, rq.form); resp != nil {
			return resp
		}
		trigger = "buildWithParameters"
	}
	it, created := s.enqueue(j, params, files, remoteCause(rq), trigger, delay, rq.now)
	if !created && !s.opts.Legacy {
		return emptyResponse(http.StatusSeeOther, s.queueLocation(rq, it))
	}
	return emptyResponse(http.StatusCreated, s.ctx+"/queue/item/"+strconv.Itoa(it.id)+"/")
}
