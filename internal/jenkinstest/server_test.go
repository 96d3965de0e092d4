package jenkinstest

import (
	"cmp"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestRestart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, JobSpec{FullName: "slow", Script: fixed(Script{Duration: 10 * time.Minute})},
			JobSpec{FullName: "later", Script: fixed(Script{QuietPeriod: time.Hour})})
		f.post("/job/slow/build")  // item 1, starts at once
		f.post("/job/later/build") // item 2, stays queued
		time.Sleep(time.Second)
		crumb, cookie := f.crumb(call{password: true})
		session := f.get("/api/json").header.Get("X-Jenkins-Session")

		f.srv.Restart(30 * time.Second)
		r := f.get("/job/slow/1/api/json")
		wantStatus(t, "while restarting", r, 503)
		if !strings.Contains(r.body, "getting ready to work") {
			t.Errorf("503 page %q", r.body)
		}
		time.Sleep(30 * time.Second)
		if s := f.get("/api/json").header.Get("X-Jenkins-Session"); s == session || len(s) != 8 {
			t.Errorf("X-Jenkins-Session %q after restart, was %q", s, session)
		}
		wantStatus(t, "left item forgotten", f.get("/queue/item/1/api/json"), 404)
		if item := f.json("/queue/item/2/api/json"); item["_class"] != "hudson.model.Queue$WaitingItem" {
			t.Errorf("queued item %v", item)
		}
		if b := f.json("/job/slow/1/api/json"); b["building"] != true {
			t.Errorf("running build did not resume: %v", b)
		}
		wantStatus(t, "old crumb", f.do(call{method: http.MethodPost, path: "/job/slow/build", password: true, header: map[string]string{"Jenkins-Crumb": crumb}}), 403)
		_, cookie2 := f.crumb(call{password: true})
		if cookie2 == cookie || !cookieRE.MatchString(cookie2) {
			t.Errorf("cookie name %q after restart, was %q", cookie2, cookie)
		}
		if loc := f.post("/job/slow/build").header.Get("Location"); !strings.HasSuffix(loc, "/queue/item/3/") {
			t.Errorf("queue ids restarted: %s", loc)
		}
	})
}

func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		fault  Fault
		status int // 0: the connection is reset
		builds int
	}{
		{Fault502, 502, 0}, {Fault503, 503, 0}, {Fault504, 504, 0}, {FaultReset, 0, 0}, {FaultResetAfter, 0, 1},
	} {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, Options{Fault: func(r *http.Request) Fault {
					if strings.HasSuffix(r.URL.Path, "/build") {
						return tt.fault
					}
					return FaultNone
				}}, plainJob)
				req, _ := http.NewRequest(http.MethodPost, f.srv.URL()+plainPath+"build", nil)
				req.SetBasicAuth("alice", aliceToken)
				resp, err := f.client.Do(req)
				switch {
				case tt.status == 0 && err == nil:
					resp.Body.Close()
					t.Fatalf("got %d, want a reset", resp.StatusCode)
				case tt.status != 0 && err != nil:
					t.Fatal(err)
				case tt.status != 0:
					resp.Body.Close()
					if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
						t.Errorf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
					}
				}
				time.Sleep(time.Minute)
				if n := len(f.srv.Builds("plain")); n != tt.builds {
					t.Errorf("%d builds, want %d", n, tt.builds)
				}
				reqs := f.srv.Requests()
				if len(reqs) != 1 || reqs[0].Fault != tt.fault || reqs[0].Status != tt.status || reqs[0].Path != "/jenkins/job/plain/build" {
					t.Errorf("requests %+v", reqs)
				}
			})
		})
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := NewTLS(Options{Users: map[string]User{"alice": {APIToken: aliceToken}}, Fault: func(r *http.Request) Fault {
		if r.URL.Query().Has("fail") {
			return Fault502
		}
		return FaultNone
	}})
	defer srv.Close()
	srv.AddJob(plainJob)
	if !strings.HasPrefix(srv.URL(), "https://") || !strings.Contains(string(srv.CAPEM()), "BEGIN CERTIFICATE") {
		t.Fatalf("URL %s", srv.URL())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool()}}}
	for path, want := range map[string]int{"/job/plain/api/json": 200, "/job/plain/api/json?fail": 502} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
		req.SetBasicAuth("alice", aliceToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if reqs := srv.Requests(); len(reqs) != 2 || reqs[0].ResponseBytes == 0 {
		t.Errorf("requests %+v", reqs)
	}
}

func TestDateHeaderFollowsTheClock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{})
		time.Sleep(time.Hour)
		if got, want := f.get("/api/json").header.Get("Date"), epoch.Add(time.Hour).Format(http.TimeFormat); got != want {
			t.Errorf("Date %q, want %q", got, want)
		}
	})
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, plainJob)
		reused := 0
		for i, c := range []call{
			{path: "/api/json"}, {method: http.MethodPost, path: plainPath + "build", password: true}, // a 403 without crumb
			{path: "/job/nope/api/json"}, {method: http.MethodPost, path: plainPath + "build"},
		} {
			trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
				if info.Reused {
					reused++
				}
			}}
			req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), cmp.Or(c.method, http.MethodGet), f.srv.URL()+c.path, nil)
			if c.password {
				req.SetBasicAuth("alice", alicePassword)
			} else {
				req.SetBasicAuth("alice", aliceToken)
			}
			resp, err := f.client.Do(req)
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if reused != 3 {
			t.Errorf("%d of 3 requests reused the connection", reused)
		}
	})
}
