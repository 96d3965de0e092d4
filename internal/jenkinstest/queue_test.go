package jenkinstest

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestQueueLifecycle(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{QueueItemTTL: time.Minute}, JobSpec{FullName: "plain", Script: fixed(Script{
			QuietPeriod: 5 * time.Second, QueueWait: 3 * time.Second, StartRace: 2 * time.Second, Duration: 10 * time.Second,
		})})
		wantStatus(t, "trigger", f.post(plainPath+"build"), 201)
		const tree = "?tree=why,blocked,buildable,pending,stuck,cancelled,executable[number,url],timestamp,url,task[name,url,color]"
		steps := []struct {
			at        time.Duration
			class     string
			why       string
			number    any // build number once executable is set
			cancelled any
		}{
			{0, "hudson.model.Queue$WaitingItem", "In the quiet period. Expires in 5.0 sec", nil, nil},
			{4900 * time.Millisecond, "hudson.model.Queue$WaitingItem", "In the quiet period. Expires in 100 ms", nil, nil},
			{5 * time.Second, "hudson.model.Queue$BuildableItem", "Waiting for next available executor on ‘linux’", nil, nil},
			{8 * time.Second, "hudson.model.Queue$LeftItem", "", nil, false}, // the start race
			{10 * time.Second, "hudson.model.Queue$LeftItem", "", 1.0, false},
			{8*time.Second + 59*time.Second, "hudson.model.Queue$LeftItem", "", 1.0, false},
		}
		var elapsed time.Duration
		for _, st := range steps {
			time.Sleep(st.at - elapsed)
			elapsed = st.at
			item := f.json("/queue/item/1/api/json" + tree)
			if item["_class"] != st.class {
				t.Fatalf("at %v: class %v, want %v", st.at, item["_class"], st.class)
			}
			why, _ := item["why"].(string)
			if why != st.why {
				t.Errorf("at %v: why %q, want %q", st.at, why, st.why)
			}
			if item["url"] != "queue/item/1/" {
				t.Errorf("url %v", item["url"])
			}
			if st.class != "hudson.model.Queue$LeftItem" {
				if _, ok := item["executable"]; ok {
					t.Errorf("at %v: executable on a %s", st.at, st.class)
				}
				continue
			}
			if item["cancelled"] != st.cancelled {
				t.Errorf("at %v: cancelled %v", st.at, item["cancelled"])
			}
			exe, present := item["executable"]
			if !present {
				t.Fatalf("at %v: no executable field", st.at)
			}
			if st.number == nil {
				if exe != nil {
					t.Errorf("at %v: executable %v, want null", st.at, exe)
				}
				continue
			}
			e := exe.(map[string]any)
			if e["number"] != st.number || e["url"] != "http://localhost:8080/jenkins/job/plain/1/" || e["_class"] != "hudson.model.FreeStyleBuild" {
				t.Errorf("at %v: executable %v", st.at, e)
			}
		}
		time.Sleep(time.Second) // 60 s after leaving at 8 s
		wantStatus(t, "expired item", f.get("/queue/item/1/api/json"), 404)
		b := f.json("/job/plain/api/json?tree=builds[number,queueId]")
		if builds := b["builds"].([]any); len(builds) != 1 || builds[0].(map[string]any)["queueId"] != 1.0 {
			t.Errorf("builds %v", builds)
		}
	})
}

func TestQueueIndexPage(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, legacy := range []bool{false, true} {
			f := newFixture(t, Options{Legacy: legacy}, plainJob)
			f.post(plainPath + "build")
			r := f.get("/queue/item/1/")
			if legacy {
				wantStatus(t, "legacy index", r, 404)
				continue
			}
			wantStatus(t, "index", r, 200)
			if !strings.HasPrefix(r.body, "Queue item exists.") {
				t.Errorf("body %q", r.body)
			}
			r = f.get("/queue/item/1")
			if r.status != 302 || r.header.Get("Location") != f.srv.URL()+"/queue/item/1/" {
				t.Errorf("no trailing slash: %d %s", r.status, r.header.Get("Location"))
			}
		}
	})
}

func TestBlockedNonConcurrent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		script := Script{Duration: 60 * time.Second, EstimatedDuration: 60 * time.Second}
		for _, concurrent := range []bool{false, true} {
			f := newFixture(t, Options{}, JobSpec{FullName: "deploy", Concurrent: concurrent, Params: []ParamDef{{Name: "N", Type: "string"}}, Script: fixed(script)})
			f.post("/job/deploy/buildWithParameters?N=1")
			time.Sleep(20 * time.Second)
			f.post("/job/deploy/buildWithParameters?N=2")
			item := f.json("/queue/item/2/api/json")
			if !concurrent {
				if item["_class"] != "hudson.model.Queue$BlockedItem" || item["blocked"] != true ||
					item["why"] != "Build #1 is already in progress (ETA: 40 sec)" {
					t.Fatalf("item %v, want blocked by #1", item)
				}
				time.Sleep(40 * time.Second)
			}
			item = f.json("/queue/item/2/api/json?tree=executable[number]")
			if exe, _ := item["executable"].(map[string]any); exe == nil || exe["number"] != 2.0 {
				t.Errorf("concurrent=%v: item 2 %v, want build #2", concurrent, item)
			}
			if !concurrent {
				b := f.json("/job/deploy/2/api/json?tree=timestamp")
				if got := int64(b["timestamp"].(float64)); got != epoch.Add(60*time.Second).UnixMilli() {
					t.Errorf("build #2 started at %d, want when #1 ended", got)
				}
			}
		}
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{AnonymousRead: true, DisableCSRF: true}, JobSpec{FullName: "plain", Script: fixed(Script{QuietPeriod: time.Minute})},
			JobSpec{FullName: "auto", Script: fixed(Script{QuietPeriod: time.Minute, CancelAfter: 10 * time.Second})},
			JobSpec{FullName: "never", Script: fixed(Script{NeverStarts: true})})
		f.post(plainPath + "build")
		wantStatus(t, "GET cancel", f.get("/queue/cancelItem?id=1"), 405)
		wantStatus(t, "anonymous cancel", f.do(call{method: "POST", path: "/queue/cancelItem?id=1", anonymous: true}), 422)
		wantStatus(t, "unknown", f.post("/queue/cancelItem?id=99"), 404)
		wantStatus(t, "cancel", f.post("/queue/cancelItem?id=1"), 204)
		wantStatus(t, "cancel again", f.post("/queue/cancelItem?id=1"), 500)
		item := f.json("/queue/item/1/api/json")
		if item["_class"] != "hudson.model.Queue$LeftItem" || item["cancelled"] != true || item["executable"] != nil {
			t.Errorf("cancelled item %v", item)
		}

		f.post("/job/auto/build") // id 2
		f.post("/job/never/build")
		time.Sleep(10 * time.Second)
		if item := f.json("/queue/item/2/api/json"); item["cancelled"] != true {
			t.Errorf("CancelAfter: %v", item)
		}
		time.Sleep(time.Hour)
		f.post("/job/auto/build") // id 4
		if !f.srv.CancelQueueItem(4) || f.srv.CancelQueueItem(4) {
			t.Error("CancelQueueItem")
		}
		f.post("/job/never/build") // id 5
		time.Sleep(time.Minute)
		if item := f.json("/queue/item/5/api/json"); item["cancelled"] != false || item["executable"] != nil {
			t.Errorf("NeverStarts: %v", item)
		}
		if n := len(f.srv.Builds("never")); n != 0 {
			t.Errorf("NeverStarts made %d builds", n)
		}
	})
}

func TestGlobalQueueIDs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{}, plainJob, paramJob)
		for i, path := range []string{plainPath + "build", paramPath + "buildWithParameters", plainPath + "build", paramPath + "buildWithParameters?BRANCH=x"} {
			r := f.post(path)
			want := f.srv.URL() + "/queue/item/" + []string{"1", "2", "1", "3"}[i] + "/"
			if got := r.header.Get("Location"); got != want {
				t.Errorf("%s: Location %s, want %s", path, got, want)
			}
		}
		if got := f.json("/queue/api/json?tree=items[id]")["items"].([]any); len(got) != 3 {
			t.Errorf("queue %v", got)
		}
		if job := f.json("/job/plain/api/json?tree=inQueue,queueItem[id]"); job["inQueue"] != true {
			t.Errorf("job %v", job)
		}
	})
}

// queueIDs lists the ids and classes of /queue/api/json's items.
func queueIDs(t *testing.T, f *fixture) (ids []float64, classes []string) {
	t.Helper()
	for _, it := range f.json("/queue/api/json?tree=items[id]")["items"].([]any) {
		m := it.(map[string]any)
		ids = append(ids, m["id"].(float64))
		classes = append(classes, strings.TrimPrefix(m["_class"].(string), "hudson.model.Queue$"))
	}
	return ids, classes
}

// TestQueueListingOrder: Queue.getItems lists waiting items by due time
// then id, then blocked items, then buildable ones newest first.
func TestQueueListingOrder(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		param := []ParamDef{{Name: "N", Type: "string"}}
		f := newFixture(t, Options{},
			JobSpec{FullName: "busy", Params: param, Script: fixed(Script{Duration: time.Hour})},
			JobSpec{FullName: "free", Params: param, Script: fixed(Script{QueueWait: time.Hour})},
			JobSpec{FullName: "wait", Params: param, Script: fixed(Script{QueueWait: time.Hour})})
		for _, path := range []string{
			"/job/busy/buildWithParameters?N=1", // 1 starts at once
			"/job/busy/buildWithParameters?N=2", // 2 blocked by #1
			"/job/free/buildWithParameters?N=1", // 3 buildable
		} {
			wantStatus(t, path, f.post(path), 201)
		}
		time.Sleep(time.Second)
		for _, path := range []string{
			"/job/free/buildWithParameters?N=2",             // 4 buildable, later
			"/job/wait/buildWithParameters?N=a&delay=60sec", // 5 waiting 60 s
			"/job/wait/buildWithParameters?N=b&delay=30sec", // 6 waiting 30 s
			"/job/wait/buildWithParameters?N=c&delay=30sec", // 7 waiting 30 s
			"/job/busy/buildWithParameters?N=3",             // 8 blocked, later
		} {
			wantStatus(t, path, f.post(path), 201)
		}
		for _, step := range []struct {
			advance time.Duration
			ids     []float64
			classes string
		}{
			{0, []float64{6, 7, 5, 2, 8, 4, 3}, "WaitingItem WaitingItem WaitingItem BlockedItem BlockedItem BuildableItem BuildableItem"},
			// 6 and 7 become buildable in id order, so 7 is listed first.
			{30 * time.Second, []float64{5, 2, 8, 7, 6, 4, 3}, "WaitingItem BlockedItem BlockedItem BuildableItem BuildableItem BuildableItem BuildableItem"},
		} {
			time.Sleep(step.advance)
			ids, classes := queueIDs(t, f)
			if fmt.Sprint(ids) != fmt.Sprint(step.ids) || strings.Join(classes, " ") != step.classes {
				t.Errorf("after %v: ids %v %v, want %v %s", step.advance, ids, classes, step.ids, step.classes)
			}
		}
	})
}

func TestQueueListingFields(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Options{QueueItemTTL: time.Hour},
			JobSpec{FullName: "plain", Script: fixed(Script{QuietPeriod: 5 * time.Second, QueueWait: 3 * time.Second, Duration: time.Minute})},
			JobSpec{FullName: "folder/param", Params: []ParamDef{{Name: "BRANCH", Type: "string"}}, Script: fixed(Script{QuietPeriod: time.Minute})},
			JobSpec{FullName: "gone", Script: fixed(Script{QuietPeriod: time.Minute})})
		f.post(plainPath + "build")
		time.Sleep(500 * time.Millisecond)
		f.post(paramPath + "buildWithParameters?BRANCH=dev")
		f.post("/job/gone/build")
		wantStatus(t, "cancel", f.post("/queue/cancelItem?id=3"), 204)

		const tree = "?tree=items[id,why,blocked,buildable,stuck,inQueueSince,timestamp,params,task[name,url]]"
		items := f.json("/queue/api/json" + tree)["items"].([]any)
		want := []map[string]any{
			{"_class": "hudson.model.Queue$WaitingItem", "id": 1.0, "why": "In the quiet period. Expires in 4.5 sec", "blocked": false, "buildable": false, "stuck": false,
				"inQueueSince": float64(epoch.UnixMilli()), "timestamp": float64(epoch.Add(5 * time.Second).UnixMilli()), "params": "",
				"task": map[string]any{"_class": "hudson.model.FreeStyleProject", "name": "plain", "url": "http://localhost:8080/jenkins/job/plain/"}},
			{"_class": "hudson.model.Queue$WaitingItem", "id": 2.0, "why": "In the quiet period. Expires in 1 min 0 sec", "blocked": false, "buildable": false, "stuck": false,
				"inQueueSince": float64(epoch.Add(500 * time.Millisecond).UnixMilli()), "timestamp": float64(epoch.Add(60500 * time.Millisecond).UnixMilli()), "params": "\nBRANCH=dev",
				"task": map[string]any{"_class": "hudson.model.FreeStyleProject", "name": "param", "url": "http://localhost:8080/jenkins/job/folder/job/param/"}},
		}
		if fmt.Sprint(items) != fmt.Sprint(want) {
			t.Errorf("tree= listing\n got %v\nwant %v", items, want)
		}

		// At depth 0 the inline items show their own fields, their task only
		// the nested ones.
		q := f.json("/queue/api/json")
		first := q["items"].([]any)[0].(map[string]any)
		task := first["task"].(map[string]any)
		if _, ok := q["discoverableItems"]; !ok || first["why"] == nil || first["url"] != "queue/item/1/" || len(task) != 4 || task["color"] != "notbuilt" {
			t.Errorf("depth 0: %v", q)
		}

		// The item leaves the queue at 8 s: listed up to then, never after.
		time.Sleep(7499 * time.Millisecond)
		if ids, classes := queueIDs(t, f); fmt.Sprint(ids) != "[2 1]" || classes[1] != "BuildableItem" {
			t.Errorf("just before leaving: %v %v", ids, classes)
		}
		time.Sleep(time.Millisecond)
		if ids, _ := queueIDs(t, f); fmt.Sprint(ids) != "[2]" {
			t.Errorf("the moment it left: %v", ids)
		}
		if item := f.json("/queue/item/1/api/json"); item["_class"] != "hudson.model.Queue$LeftItem" {
			t.Errorf("item 1 %v", item)
		}
	})
}

func TestQueueListingPermissions(t *testing.T) {
	t.Parallel()
	secret := JobSpec{FullName: "secret", Script: fixed(Script{QuietPeriod: time.Minute}), Visible: func(user string) bool { return user == "alice" }}
	open := JobSpec{FullName: "open", Script: fixed(Script{QuietPeriod: time.Minute})}
	for _, tt := range []struct {
		name   string
		opts   Options
		c      call
		status int
		ids    string
	}{
		{"anonymous without read", Options{}, call{path: "/queue/api/json", anonymous: true}, 403, ""},
		{"anonymous with read", Options{AnonymousRead: true}, call{path: "/queue/api/json?tree=items[id]", anonymous: true}, 200, `[{"_class":"hudson.model.Queue$WaitingItem","id":2}]`},
		{"alice", Options{}, call{path: "/queue/api/json?tree=items[id]"}, 200, `[{"_class":"hudson.model.Queue$WaitingItem","id":1},{"_class":"hudson.model.Queue$WaitingItem","id":2}]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				f := newFixture(t, tt.opts, secret, open)
				f.post("/job/secret/build")
				f.post("/job/open/build")
				r := f.do(tt.c)
				wantStatus(t, tt.name, r, tt.status)
				if tt.status == 403 {
					if r.header.Get("X-Required-Permission") != "hudson.model.Hudson.Read" || r.header.Get("X-Jenkins") == "" {
						t.Errorf("403 headers %v", r.header)
					}
					return
				}
				if !strings.Contains(r.body, `"items":`+tt.ids) {
					t.Errorf("body %s, want items %s", r.body, tt.ids)
				}
			})
		})
	}
}
