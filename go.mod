module github.com/jenkins-trigger/jenkins-trigger

go 1.26.8

require (
	github.com/caarlos0/env/v11 v11.4.2 // indirect
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/sethvargo/go-githubactions v1.4.0 // indirect
)
