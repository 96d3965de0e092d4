package jenkinstest

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/memnet"
)

// artifactJob is a pipeline that archives report.txt 2 s in and the rest
// when its 10 s building phase ends.
var artifactJob = JobSpec{FullName: "folder/app", Pipeline: true, Script: fixed(Script{
	Duration: 10 * time.Second,
	Result:   "FAILURE",
	Artifacts: []Artifact{
		{RelativePath: "dist/app.bin", Size: 100_000},
		{RelativePath: "report.txt", Content: []byte("first\n"), At: 2 * time.Second},
		{RelativePath: "report.txt", Content: []byte("all tests passed\n")},
		{RelativePath: "Dist/other.json", Content: []byte(`{"a":1}`)},
		{RelativePath: "dist/sub/deep.xml", Content: []byte("<x/>"), ModTime: epoch.Add(-time.Hour)},
	},
})}

const artifactBuild = "/job/folder/job/app/1/"

// escapePath escapes each segment of a relativePath, as a careful client
// does.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func listing(t *testing.T, f *fixture, query string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, a := range f.json(artifactBuild + "api/json" + query)["artifacts"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func TestArtifactListing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, artifactJob)
		f.post("/job/folder/job/app/build")
		if got := listing(t, f, ""); len(got) != 0 {
			t.Errorf("at the start: %v", got)
		}
		wantCode(t, "no archive yet", f.get(artifactBuild+"artifact/report.txt"), 404)
		time.Sleep(2 * time.Second)
		got := listing(t, f, "")
		if len(got) != 1 || got[0]["relativePath"] != "report.txt" {
			t.Fatalf("mid-build: %v", got)
		}
		if r := f.get(artifactBuild + "artifact/report.txt"); r.body != "first\n" {
			t.Errorf("mid-build report %q", r.body)
		}
		time.Sleep(8 * time.Second)
		got = listing(t, f, "")
		want := []map[string]any{
			{"displayPath": "other.json", "fileName": "other.json", "relativePath": "Dist/other.json"},
			{"displayPath": "app.bin", "fileName": "app.bin", "relativePath": "dist/app.bin"},
			{"displayPath": "deep.xml", "fileName": "deep.xml", "relativePath": "dist/sub/deep.xml"},
			{"displayPath": "report.txt", "fileName": "report.txt", "relativePath": "report.txt"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("listing\n got %v\nwant %v", got, want)
		}
		if r := f.get(artifactBuild + "artifact/report.txt"); r.body != "all tests passed\n" {
			t.Errorf("report after the later archive %q", r.body)
		}
		if got := listing(t, f, "?tree=artifacts[relativePath]{0,1}"); len(got) != 1 || len(got[0]) != 1 || got[0]["relativePath"] != "Dist/other.json" {
			t.Errorf("tree= %v", got)
		}
		if job := f.json("/job/folder/job/app/api/json?depth=1"); !strings.Contains(fmt.Sprint(job["lastBuild"]), "relativePath:report.txt") {
			t.Errorf("depth=1 job: lastBuild without artifacts: %v", job["lastBuild"])
		}
		if job := f.json("/job/folder/job/app/api/json"); strings.Contains(fmt.Sprint(job["lastBuild"]), "artifacts") {
			t.Errorf("depth=0 job shows the build's artifacts: %v", job["lastBuild"])
		}
	})
}

func TestArtifactArchivedAfterAnInputPause(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "folder/app", Pipeline: true, Script: fixed(Script{
			Duration:  10 * time.Second,
			Inputs:    []Input{{At: time.Second, Message: "Deploy?", AnswerBy: "proceed", AnsweredAfter: time.Minute}},
			Artifacts: []Artifact{{RelativePath: "plan.txt", Content: []byte("plan"), At: 2 * time.Second}},
		})})
		f.post("/job/folder/job/app/build")
		time.Sleep(30 * time.Second)
		if got := listing(t, f, ""); len(got) != 0 {
			t.Errorf("archived during the pause: %v", got)
		}
		time.Sleep(32 * time.Second) // 1 s of script, a minute of pause, 1 s more
		if got := listing(t, f, ""); len(got) != 1 {
			t.Errorf("not archived after the pause: %v", got)
		}
	})
}

func TestArtifactDisplayPaths(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		paths []string
		want  []any
	}{
		{[]string{"a/x.txt", "b/x.txt", "c/y.txt"}, []any{"a/x.txt", "b/x.txt", "y.txt"}},
		{[]string{"a/b/x", "c/b/x", "x"}, []any{"a/b/x", "c/b/x", "x"}},
		{[]string{`a\..\x`, "x"}, []any{"../x", "x"}},
		{make([]string, listCutoff+1), make([]any, listCutoff+1)},
	} {
		if got := displayPaths(tt.paths); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%q: %q, want %q", tt.paths, got, tt.want)
		}
	}
}

func TestArtifactManyHaveNoDisplayPath(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var arts []Artifact
		for i := range listCutoff + 1 {
			arts = append(arts, Artifact{RelativePath: fmt.Sprintf("f%02d", i), Content: []byte("x")})
		}
		f := newFixture(t, Options{}, JobSpec{FullName: "folder/app", Script: fixed(Script{Duration: time.Second, Artifacts: arts})})
		f.post("/job/folder/job/app/build")
		time.Sleep(time.Second)
		got := listing(t, f, "")
		if len(got) != listCutoff+1 {
			t.Fatalf("%d artifacts, want %d", len(got), listCutoff+1)
		}
		for _, a := range got {
			if v, ok := a["displayPath"]; !ok || v != nil {
				t.Errorf("displayPath %v, want null", a)
			}
		}
	})
}

func TestArtifactDownload(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, artifactJob)
		f.post("/job/folder/job/app/build")
		time.Sleep(10 * time.Second)
		bin := artifactJob.Script(nil).Artifacts[0].Bytes()
		archivedAt := epoch.Add(10 * time.Second).Format(http.TimeFormat)
		for _, tt := range []struct {
			name   string
			c      call
			status int
			body   string
			header map[string]string
		}{
			{"text", call{path: "artifact/report.txt"}, 200, "all tests passed\n", map[string]string{
				"Content-Type": "text/plain;charset=UTF-8", "Content-Length": "17", "Last-Modified": archivedAt, "Expires": archivedAt,
				"Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": directoryCSP,
				"ETag": "", "Content-Disposition": "",
			}},
			{"binary", call{path: "artifact/dist/app.bin"}, 200, string(bin), map[string]string{
				"Content-Type": "application/octet-stream", "Content-Length": "100000",
			}},
			{"own mtime", call{path: "artifact/dist/sub/deep.xml"}, 200, "<x/>", map[string]string{
				"Content-Type": "application/xml", "Last-Modified": epoch.Add(-time.Hour).Format(http.TimeFormat),
			}},
			{"head", call{method: http.MethodHead, path: "artifact/dist/app.bin"}, 200, "", map[string]string{"Content-Length": "100000"}},
			{"open range", call{path: "artifact/dist/app.bin", header: map[string]string{"Range": "bytes=99990-"}}, 206, string(bin[99990:]), map[string]string{
				"Content-Range": "bytes 99990-99999/100000", "Content-Length": "10",
			}},
			{"closed range", call{path: "artifact/report.txt", header: map[string]string{"Range": "bytes=4-8"}}, 206, "tests", map[string]string{
				"Content-Range": "bytes 4-8/17",
			}},
			{"range past the end", call{path: "artifact/report.txt", header: map[string]string{"Range": "bytes=4-100"}}, 206, "tests passed\n", map[string]string{
				"Content-Range": "bytes 4-16/17",
			}},
			{"suffix range ignored", call{path: "artifact/report.txt", header: map[string]string{"Range": "bytes=-3"}}, 200, "all tests passed\n", nil},
			{"multi-range ignored", call{path: "artifact/report.txt", header: map[string]string{"Range": "bytes=0-1,4-5"}}, 200, "all tests passed\n", nil},
			{"not modified", call{path: "artifact/report.txt", header: map[string]string{"If-Modified-Since": archivedAt}}, 304, "", map[string]string{"Last-Modified": ""}},
			{"modified since", call{path: "artifact/report.txt", header: map[string]string{"If-Modified-Since": epoch.Format(http.TimeFormat)}}, 200, "all tests passed\n", nil},
			{"view", call{path: "artifact/Dist/other.json/*view*/"}, 200, `{"a":1}`, map[string]string{
				"Content-Type": "text/plain;charset=UTF-8", "Content-Disposition": "inline; filename=other.json", "Content-Security-Policy": "",
			}},
			{"semicolon", call{path: "artifact/report.txt;x"}, 400, "", nil},
			{"escaped dots", call{path: "artifact/dist/%2E%2E/report.txt"}, 400, "", nil},
			{"backslash dots", call{path: "artifact/dist%5C..%5Creport.txt"}, 400, "", nil},
			{"absolute", call{path: "artifact/%2Fetc%2Fpasswd"}, 404, "", nil},
			{"missing", call{path: "artifact/nope.txt"}, 404, "", nil},
			{"case matters", call{path: "artifact/REPORT.txt"}, 404, "", nil},
			{"directory", call{path: "artifact/dist"}, 302, "", nil},
			{"root", call{path: "artifact"}, 302, "", nil},
			{"directory index", call{path: "artifact/dist/"}, 200, "", map[string]string{"Content-Type": "text/html;charset=utf-8"}},
			{"plain listing", call{path: "artifact/dist/*plain*"}, 200, "app.bin\nsub/\n", map[string]string{"Content-Type": "text/plain;charset=UTF-8"}},
			{"root listing", call{path: "artifact/*plain*"}, 200, "Dist/\ndist/\nreport.txt\n", nil},
			{"anonymous", call{path: "artifact/report.txt", anonymous: true}, 403, "", nil},
			{"zip not modelled", call{path: "artifact/*zip*/archive.zip"}, 404, "", nil},
		} {
			// Cases, not subtests: a bubble has none.
			tt.c.path = artifactBuild + tt.c.path
			r := f.do(tt.c)
			wantCode(t, tt.name, r, tt.status)
			if tt.body != "" || r.status/100 == 2 && tt.c.method != http.MethodHead && tt.header["Content-Type"] == "" {
				if r.body != tt.body {
					t.Errorf("%s: body %q, want %q", tt.name, trim(r.body), trim(tt.body))
				}
			}
			for k, v := range tt.header {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s: %s: %q, want %q", tt.name, k, got, v)
				}
			}
		}
		if r := f.get(artifactBuild + "artifact/dist"); r.header.Get("Location") != f.srv.URL()+artifactBuild+"artifact/dist/" {
			t.Errorf("directory Location %q", r.header.Get("Location"))
		}
		anon := newFixture(t, Options{AnonymousRead: true}, artifactJob)
		anon.post("/job/folder/job/app/build")
		time.Sleep(10 * time.Second)
		wantCode(t, "anonymous read", anon.do(call{path: artifactBuild + "artifact/report.txt", anonymous: true}), 200)
		wantCode(t, "no such build", anon.get("/job/folder/job/app/2/artifact/report.txt"), 404)
	})
}

// wantCode is wantStatus with the body cut short: artifact bodies are
// binary and long.
func wantCode(t *testing.T, what string, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %q", what, r.status, status, trim(r.body))
	}
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestArtifactHostileNames(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		names := []string{`a\..\x`, "CON", "A.txt", "a.txt", "../escape", "with space/x y.txt", "semi;colon", "hash#tag", "100%", "ünï/çødé.txt", "q?x", "star*"}
		var arts []Artifact
		for _, n := range names {
			arts = append(arts, Artifact{RelativePath: n, Content: []byte("content of " + n)})
		}
		f := newFixture(t, Options{}, JobSpec{FullName: "folder/app", Script: fixed(Script{Duration: time.Second, Artifacts: arts})})
		f.post("/job/folder/job/app/build")
		time.Sleep(time.Second)
		listed := map[string]bool{}
		for _, a := range listing(t, f, "") {
			listed[a["relativePath"].(string)] = true
		}
		for _, n := range names {
			if !listed[n] {
				t.Errorf("%q not listed verbatim", n)
			}
			r := f.get(artifactBuild + "artifact/" + escapePath(n))
			switch n {
			case `a\..\x`, "../escape": // Jenkins refuses to serve what looks like traversal
				wantCode(t, n, r, 400)
			default:
				wantCode(t, n, r, 200)
				if r.body != "content of "+n {
					t.Errorf("%q: body %q", n, r.body)
				}
			}
		}
	})
}

// follow requests a URL as a client would after a redirect: with or without
// credentials and a session cookie.
func follow(t *testing.T, f *fixture, method, u string, creds bool, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if creds {
		req.SetBasicAuth("alice", aliceToken)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := f.client.Transport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func TestArtifactRedirects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode       string
		ttl        time.Duration
		sameHost   bool
		expiredTo  int // the status of an expired URL
		headStatus int
	}{
		{ArtifactRedirectObjectStore, time.Hour, false, 403, 403},
		{ArtifactRedirectResourceDomain, 30 * time.Minute, true, 302, 200},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{ArtifactRedirect: tt.mode}, artifactJob)
				f.post("/job/folder/job/app/build")
				time.Sleep(10 * time.Second)
				file := artifactJob.Script(nil).Artifacts[0]
				r := f.get(artifactBuild + "artifact/dist/app.bin")
				wantCode(t, "Jenkins", r, 302)
				loc, err := url.Parse(r.header.Get("Location"))
				if err != nil {
					t.Fatal(err)
				}
				jenkins, _ := url.Parse(f.srv.URL())
				if loc.Host == jenkins.Host || (loc.Hostname() == jenkins.Hostname()) != tt.sameHost {
					t.Fatalf("Location %s, Jenkins at %s", loc, jenkins)
				}
				got := follow(t, f, http.MethodGet, loc.String(), false, nil)
				wantCode(t, "redirect target", got, 200)
				if got.body != string(file.Bytes()) || got.header.Get("Content-Length") != "100000" || got.header.Get("Content-Security-Policy") != "" {
					t.Errorf("target answered %d bytes, headers %v", len(got.body), got.header)
				}
				ranged := follow(t, f, http.MethodGet, loc.String(), false, map[string]string{"Range": "bytes=10-19"})
				if ranged.status != 206 || ranged.body != string(file.Bytes()[10:20]) || ranged.header.Get("Content-Range") != "bytes 10-19/100000" {
					t.Errorf("range: %d %q", ranged.status, ranged.header.Get("Content-Range"))
				}
				wantCode(t, "HEAD", follow(t, f, http.MethodHead, loc.String(), false, nil), tt.headStatus)
				wantCode(t, "with credentials", follow(t, f, http.MethodGet, loc.String(), true, nil), 400)
				wantCode(t, "with a session", follow(t, f, http.MethodGet, loc.String(), false, map[string]string{"Cookie": "JSESSIONID.0123abcd=node0x"}), 400)
				forged := *loc
				if tt.mode == ArtifactRedirectObjectStore {
					q := forged.Query()
					q.Set("X-Amz-Expires", "999999")
					forged.RawQuery = q.Encode()
				} else {
					forged.Path = strings.Replace(forged.Path, "/static-files/", "/static-files/A", 1)
					forged.RawPath = ""
				}
				if r := follow(t, f, http.MethodGet, forged.String(), false, nil); r.status != 403 && r.status != 404 {
					t.Errorf("forged URL: %d", r.status)
				}

				time.Sleep(tt.ttl - time.Second)
				wantCode(t, "just valid", follow(t, f, http.MethodGet, loc.String(), false, map[string]string{"Range": "bytes=0-0"}), 206)
				time.Sleep(2 * time.Second)
				expired := follow(t, f, http.MethodGet, loc.String(), false, nil)
				wantCode(t, "expired", expired, tt.expiredTo)
				if tt.mode == ArtifactRedirectObjectStore {
					if !strings.Contains(expired.body, "<Code>AccessDenied</Code><Message>Request has expired</Message>") {
						t.Errorf("expired: %s", expired.body)
					}
				} else if want := f.srv.URL() + artifactBuild + "artifact/dist/app.bin"; expired.header.Get("Location") != want {
					t.Errorf("expired token: Location %q, want %q", expired.header.Get("Location"), want)
				}
				again := f.get(artifactBuild + "artifact/dist/app.bin")
				wantCode(t, "fresh URL", follow(t, f, http.MethodGet, again.header.Get("Location"), false, nil), 200)

				var statuses []string
				for _, d := range f.srv.ArtifactDownloads("folder/app", 1, "dist/app.bin") {
					statuses = append(statuses, fmt.Sprintf("%s %s %d %d %v %v", d.Origin, d.Method, d.Status, d.Bytes, d.Authorization, d.Cookie))
				}
				wantRecords := []string{
					"jenkins GET 302 0 true false",
					tt.mode + " GET 200 100000 false false",
					tt.mode + " GET 206 10 false false",
					fmt.Sprintf("%s HEAD %d 0 false false", tt.mode, tt.headStatus),
					tt.mode + " GET 400 0 true false",
					tt.mode + " GET 400 0 false true",
				}
				if tt.mode == ArtifactRedirectObjectStore {
					wantRecords = append(wantRecords, tt.mode+" GET 403 0 false false") // forged
				}
				wantRecords = append(wantRecords,
					tt.mode+" GET 206 1 false false",
					fmt.Sprintf("%s GET %d 0 false false", tt.mode, tt.expiredTo),
					"jenkins GET 302 0 true false",
					tt.mode+" GET 200 100000 false false",
				)
				if strings.Join(statuses, "\n") != strings.Join(wantRecords, "\n") {
					t.Errorf("downloads\n%s\nwant\n%s", strings.Join(statuses, "\n"), strings.Join(wantRecords, "\n"))
				}
			})
		})
	}
}

func TestResourceDomain(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{ArtifactRedirect: ArtifactRedirectResourceDomain}, artifactJob)
		f.post("/job/folder/job/app/build")
		time.Sleep(10 * time.Second)
		wantCode(t, "anonymous on Jenkins", f.do(call{path: artifactBuild + "artifact/report.txt", anonymous: true}), 403)
		r := f.get(artifactBuild + "artifact/with%3Bsemi/../report.txt")
		wantCode(t, "dots", r, 400)
		loc := f.get(artifactBuild + "artifact/dist/sub/deep.xml").header.Get("Location")
		if !strings.HasSuffix(loc, "/dist/sub/deep.xml") || !strings.Contains(loc, "/jenkins/static-files/") {
			t.Errorf("Location %s", loc)
		}
		base, _, _ := strings.Cut(loc, "/jenkins/static-files/")
		wantCode(t, "not a resource path", follow(t, f, http.MethodGet, base+"/jenkins/job/folder/job/app/api/json", false, nil), 404)
		dir := strings.TrimSuffix(loc, "/deep.xml")
		r = follow(t, f, http.MethodGet, dir, false, nil)
		if r.status != 302 || r.header.Get("Location") != dir+"/" {
			t.Errorf("directory on the resource domain: %d %s", r.status, r.header.Get("Location"))
		}
		wantCode(t, "semicolon", follow(t, f, http.MethodGet, loc+";x", false, nil), 400)
	})
}

func TestArtifactTransferBreaksOnce(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"", ArtifactRedirectObjectStore} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{ArtifactRedirect: mode}, JobSpec{FullName: "folder/app", Script: fixed(Script{Duration: time.Second,
					Artifacts: []Artifact{{RelativePath: "big.bin", Size: 1 << 20, BreakAt: 300_000}}})})
				f.post("/job/folder/job/app/build")
				time.Sleep(time.Second)
				u := f.srv.URL() + artifactBuild + "artifact/big.bin"
				if mode != "" {
					u = f.get(artifactBuild + "artifact/big.bin").header.Get("Location")
				}
				get := func(rng string) (*http.Response, []byte, error) {
					req, _ := http.NewRequest(http.MethodGet, u, nil)
					if mode == "" {
						req.SetBasicAuth("alice", aliceToken)
					}
					if rng != "" {
						req.Header.Set("Range", rng)
					}
					resp, err := f.client.Do(req)
					if err != nil {
						return nil, nil, err
					}
					defer resp.Body.Close()
					b, err := io.ReadAll(resp.Body)
					return resp, b, err
				}
				resp, part, err := get("")
				if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || resp.StatusCode != 200 {
					t.Fatalf("first transfer: err %v, %d bytes", err, len(part))
				}
				if len(part) != 300_000 {
					t.Errorf("first transfer gave %d bytes", len(part))
				}
				resp, rest, err := get(fmt.Sprintf("bytes=%d-", len(part)))
				if err != nil || resp.StatusCode != 206 {
					t.Fatalf("resume: %v", err)
				}
				want := Artifact{RelativePath: "big.bin", Size: 1 << 20}.Bytes()
				if !bytes.Equal(append(part, rest...), want) {
					t.Error("resumed bytes differ")
				}
				downloads := f.srv.ArtifactDownloads("folder/app", 1, "big.bin")
				last := downloads[len(downloads)-1]
				first := downloads[len(downloads)-2]
				if first.Bytes != 300_000 || first.Status != 200 || last.Bytes != 1<<20-300_000 || last.Range != "bytes=300000-" {
					t.Errorf("downloads %+v", downloads)
				}
			})
		})
	}
}

func TestArtifactBigStreams(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const size = 64 << 20
		file := Artifact{RelativePath: "images/disk.img", Size: size}
		f := newFixture(t, Options{}, JobSpec{FullName: "folder/app", Script: fixed(Script{Duration: time.Second, Artifacts: []Artifact{file}})})
		f.post("/job/folder/job/app/build")
		time.Sleep(time.Second)
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL()+artifactBuild+"artifact/images/disk.img", nil)
		req.SetBasicAuth("alice", aliceToken)
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got := sha256.New()
		n, err := io.Copy(got, resp.Body)
		if err != nil || n != size || resp.ContentLength != size {
			t.Fatalf("read %d of %d bytes (Content-Length %d): %v", n, size, resp.ContentLength, err)
		}
		want := sha256.New()
		if _, err := io.Copy(want, file.Reader()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
			t.Error("streamed bytes differ from Artifact.Reader")
		}
	})
}

func TestGeneratedContent(t *testing.T) {
	t.Parallel()
	a := Artifact{RelativePath: "x.bin", Size: 3*genPage + 123}
	whole := a.Bytes()
	for _, off := range []int64{0, 1, 7, genPage - 3, genPage, 2*genPage + 5} {
		part := make([]byte, 1000)
		n, _ := a.Reader().ReadAt(part, off)
		if !bytes.Equal(part[:n], whole[off:off+int64(n)]) {
			t.Errorf("ReadAt %d differs from Bytes", off)
		}
	}
	if bytes.Equal(whole[:genPage], whole[genPage:2*genPage]) {
		t.Error("pages repeat: a resume a page off would go unnoticed")
	}
	if bytes.Equal(whole[:100], Artifact{RelativePath: "y.bin", Size: 100}.Bytes()) {
		t.Error("two paths, same bytes")
	}
}

// TestGoRedirectPolicy shows the trap the resource domain catches: Go's
// own redirect policy keeps Authorization when only the port changes.
func TestGoRedirectPolicy(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for mode, want := range map[string]int{ArtifactRedirectObjectStore: 200, ArtifactRedirectResourceDomain: 400} {
			f := newFixture(t, Options{ArtifactRedirect: mode}, artifactJob)
			f.post("/job/folder/job/app/build")
			time.Sleep(10 * time.Second)
			req, _ := http.NewRequest(http.MethodGet, f.srv.URL()+artifactBuild+"artifact/report.txt", nil)
			req.SetBasicAuth("alice", aliceToken)
			resp, err := (&http.Client{Transport: f.client.Transport}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s: Go's default redirect policy ends with %d, want %d", mode, resp.StatusCode, want)
			}
		}
	})
}

func TestArtifactRedirectsOverTLS(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, mode := range []string{ArtifactRedirectObjectStore, ArtifactRedirectResourceDomain} {
			n := &memnet.Network{}
			srv := NewTLS(Options{Net: n, ArtifactRedirect: mode, Users: map[string]User{"alice": {APIToken: aliceToken}}})
			t.Cleanup(srv.Close)
			srv.AddJob(artifactJob)
			transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool()}, DialContext: n.DialContext}
			t.Cleanup(transport.CloseIdleConnections)
			client := &http.Client{
				Transport:     transport,
				CheckRedirect: func(req *http.Request, via []*http.Request) error { req.Header.Del("Authorization"); return nil },
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/job/folder/job/app/build", nil)
			req.SetBasicAuth("alice", aliceToken)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			time.Sleep(10 * time.Second)
			req, _ = http.NewRequest(http.MethodGet, srv.URL()+artifactBuild+"artifact/report.txt", nil)
			req.SetBasicAuth("alice", aliceToken)
			resp, err = client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "all tests passed\n" || resp.Request.URL.Scheme != "https" || resp.Request.URL.Host == strings.TrimPrefix(srv.URL(), "https://") {
				t.Errorf("%s: %d %q from %s", mode, resp.StatusCode, b, resp.Request.URL)
			}
		}
	})
}

func TestArtifactOriginsClose(t *testing.T) {
	t.Parallel()
	srv := New(Options{ArtifactRedirect: ArtifactRedirectObjectStore})
	addr := srv.art.objectStore.Listener.Addr().String()
	if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.2" {
		t.Errorf("object store on %s", addr)
	}
	srv.Close()
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("the object store still listens after Close")
	}
}

// FuzzArtifactPath requests arbitrary paths under artifact/: the fake never
// panics and never serves anything but a listed file, a listing or a
// redirect.
func FuzzArtifactPath(f *testing.F) {
	for _, s := range []string{"report.txt", "dist/", "dist", "%2E%2E/x", `a\..\x`, "a%5C..%5Cx", "*plain*", "d/*zip*/a.zip", "x;y", "%", "dist/app.bin/*view*", "**/*.txt"} {
		f.Add(s, "bytes=1-")
	}
	// A fuzz target cannot run in a synctest bubble: the build is
	// instant, so that it is over in real time at once.
	srv := newServer(Options{ContextPath: "/jenkins", AnonymousBuild: true, DisableCSRF: true})
	instant := artifactJob
	instant.Script = fixed(Script{Result: "FAILURE", Artifacts: []Artifact{
		{RelativePath: "dist/app.bin", Size: 100_000},
		{RelativePath: "report.txt", Content: []byte("all tests passed\n")},
		{RelativePath: "Dist/other.json", Content: []byte(`{"a":1}`)},
		{RelativePath: "dist/sub/deep.xml", Content: []byte("<x/>"), ModTime: epoch.Add(-time.Hour)},
	}})
	srv.AddJob(instant)
	h := srv.Handler()
	h.ServeHTTP(&recorder{header: http.Header{}}, httptest.NewRequest(http.MethodPost, "/jenkins/job/folder/job/app/build", nil))
	if len(srv.Builds("folder/app")) != 1 {
		f.Fatal("no build")
	}
	f.Fuzz(func(t *testing.T, p, rng string) {
		req, err := http.NewRequest(http.MethodGet, "http://jenkins/jenkins/job/folder/job/app/1/artifact/"+p, nil)
		if err != nil {
			return
		}
		req.Header.Set("Range", rng)
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, req)
		switch rec.status {
		case 0, 200, 206, 302, 304, 400, 404, 416:
		default:
			t.Errorf("%q: status %d", p, rec.status)
		}
	})
}

// recorder is a minimal ResponseWriter for the fuzz target.
type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return len(p), nil
}
func (r *recorder) WriteHeader(code int) { r.status = code }

func BenchmarkGenerator(b *testing.B) {
	r := Artifact{RelativePath: "big.bin", Size: 1 << 30}.Reader()
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for i := 0; b.Loop(); i++ {
		_, _ = r.ReadAt(buf, int64(i%16000)*int64(len(buf))+int64(i%7))
	}
}
