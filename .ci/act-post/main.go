// Command act-post is the fake Jenkins of .ci/act-post.sh, which runs the
// action under act: the test fake on a loopback port, in real time, with a
// job "slow" that builds for ten minutes and a job "quick" that builds for
// three seconds. It writes its URL to the file its one argument names,
// logs each request on stdout, and answers GET /fake/builds?job=NAME with
// that job's builds as JSON, for the script to check.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jenkins-trigger/jenkins-trigger/internal/jenkinstest"
)

// User and APIToken are the credentials the script's workflow sends.
const (
	user     = "act"
	apiToken = "11act0token0not0a0real0secret0x"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: act-post URL-FILE")
	}
	srv := jenkinstest.New(jenkinstest.Options{
		ContextPath: "/jenkins",
		Users:       map[string]jenkinstest.User{user: {APIToken: apiToken}},
	})
	for name, d := range map[string]time.Duration{"slow": 10 * time.Minute, "quick": 3 * time.Second} {
		srv.AddJob(jenkinstest.JobSpec{FullName: name, Script: func(map[string]string) jenkinstest.Script {
			return jenkinstest.Script{Duration: d, Result: "SUCCESS", Log: []jenkinstest.LogLine{{Text: name + " started"}}}
		}})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	jenkins := srv.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fake/builds", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(srv.Builds(r.URL.Query().Get("job")))
	})
	mux.HandleFunc("/jenkins/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("%s %s %s\n", time.Now().UTC().Format(time.TimeOnly), r.Method, r.URL.RequestURI())
		jenkins.ServeHTTP(w, r)
	})
	url := "http://" + ln.Addr().String() + "/jenkins"
	if err := os.WriteFile(os.Args[1], []byte(url+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(ln, mux))
}
