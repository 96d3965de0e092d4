// Package jenkinstest is a fake Jenkins controller for tests, benchmarks and
// demos, built on net/http/httptest.
//
// It models the remote API a trigger client uses, as described in the
// project's protocol fact sheet: jobs in folders (with Util.rawEncode'd URL
// segments split before unescaping, so a multibranch item "feature%2Ffoo"
// lives at /job/repo/job/feature%252Ffoo/), the trigger matrix of build and
// buildWithParameters (201, 303 on coalescing, 400/405/409/500, the json
// form path with its job-page Location), parameter semantics and file
// uploads, global queue ids, the queue item lifecycle (WaitingItem,
// BlockedItem, BuildableItem, LeftItem with its start race, cancellation
// and expiry) and the queue listing in Queue.getItems' order, builds
// (early results, freestyle post-production, stop), progressive console
// output (X-Text-Size, X-More-Data, CRLF, withheld partial lines, console
// notes), JUnit reports, Basic auth with passwords
// and API tokens, session-bound CSRF crumbs, job build tokens and
// build-token-root (whose triggers are caused by the remote host, with the
// cause parameter as the note, in the queue item, the build and its
// console), restarts and injected faults. JSON answers carry _class,
// explicit nulls and Stapler's depth visibility, and honour tree= like
// Stapler's NamedPathPruner.
//
// Absolute url fields name the configured root URL (Options.RootURL), not
// the served address, and root /api/json reports it as url; with
// Options.NoRootURL none is configured: that url is null, and the others are
// built from each request's host and X-Forwarded-* headers.
//
// Builds archive artifacts (Script.Artifacts): listed in the build JSON once
// archived, by default when the building phase ends, and served under
// artifact/ as DirectoryBrowserSupport and Stapler serve them: 400 for a raw
// ';' or a ".." segment (also one between backslashes), 404 for a missing
// file or a build without artifacts, 302 for a directory without its '/',
// an HTML index, *plain* and *view*, single Range requests (206, other forms
// ignored), If-Modified-Since (304), Last-Modified, nosniff and the CSP
// header. Options.ArtifactRedirect sends downloads to an object store's
// presigned URL on another host (valid an hour) or to a resource domain on
// another port (token valid 30 minutes); both refuse a request that carries
// credentials or a session cookie (400). A file can break its first
// transfer midway. Every download is recorded with the headers it came
// with (ArtifactDownloads), and so is every request the other origins get
// (ArtifactOriginRequests). Generated artifacts are computed on the fly, so
// a 512 MiB one costs no memory.
//
// Options.FrontDoor puts an access proxy in front of Jenkins' origin. A
// request without the door's headers is answered by the door, before
// faults, a restart or Jenkins' own auth, and never with X-Jenkins: as
// Google IAP (401 "Invalid IAP credentials"), Cloudflare Access (a 302 to
// its login page on another origin, or its 403 page for service tokens) or
// an SSO gateway (its login form with a 200); RequestRecord.FrontDoor marks
// it. A request that passes reaches Jenkins without the door's headers. The
// artifact origins are not behind the door, and what reached them is
// recorded, so a test can catch a client leaking the door's headers or
// Jenkins' credentials there. JobSpec.RefuseTrigger makes one job's
// triggers fail with a chosen status and Jenkins' page for it, queueing
// nothing.
//
// Pipeline builds (JobSpec.Pipeline) have stages (Script.Stages: nested,
// parallel branches, results including NOT_EXECUTED) and input steps
// (Script.Inputs). An input stops the script's clock until it is answered,
// over HTTP, by someone else after a while (Input.AnswerBy), or by a stop,
// so later lines, stages and the end move by the pause; inputs at the same
// offset wait together, as in parallel branches. The console shows the
// stage blocks and the input prompts, "Approved by" and "Rejected by"; the
// build JSON has the InputAction at Stapler's visibilities (or only its
// _class with Options.LegacyInputAction), kept with no executions once
// answered; input/<Id>/proceedEmpty, proceed, abort and submit answer with
// Jenkins' codes (405 for GET, 404 for a wrong-case or settled id, 400 for
// a missing json, 400 and X-Error for a submitter refusal) and are recorded
// (InputAnswers). Options.WFAPI adds pipeline-rest-api's run describe (flat
// stages, a parent cut off at its first child, the final chunk taking the
// run's result), pendingInputActions, nextPendingInputAction and
// inputSubmit; Options.GraphView adds pipeline-graph-view's <name>/tree.
//
// Builds start other jobs' builds (Script.Downstream): a Pipeline `build`
// step (wait, propagate) or, on a freestyle job, Parameterized Trigger's
// blocking or non-blocking build step. The child is an ordinary queue item,
// carrying an UpstreamCause (BuildUpstreamCause from a Pipeline) that
// names the parent, and a waiting step pauses the parent's script until the
// child completes; nesting is a child that starts builds itself. The
// parent's result follows propagate or Parameterized Trigger's default
// thresholds; its console prints the plugins' lines ("Scheduling project:
// ", "Starting building: ", "Triggering projects: ", ...); its JSON has
// the DownstreamBuildAction as {} or the BuildInfoExporterAction; graph
// view's <name>/allSteps lists the build steps with their buildStep (from
// release 877 on, Options.GraphViewVersion). A stop of the parent cancels
// a waited child still queued and, from a Pipeline, aborts a running one;
// a child of a step that does not wait carries on.
//
// Time is read only through time.Now, and all queue and build state is
// derived from it on each request by a small discrete-event simulation:
// there are no goroutines or timers, so in a testing/synctest bubble (served
// on Options.Net) a ten-minute build takes milliseconds and every run is
// deterministic.
// Console logs are generated on the fly, so a 256 MiB log costs no memory.
//
// It does not model: nodes, labels and executors (one implicit executor pool
// that always frees up after Script.QueueWait), fine-grained permissions
// (users may do everything; anonymous gets what Options grant), DISCOVER
// (hidden jobs are always 404), views, SCM, /term and /kill escalation (both
// act like stop), the multipart streaming log mode, progressiveHtml, XML
// APIs other than the crumb xpath, deleted log files, session expiry, cause
// folding on coalesced items (but for a build step's upstream cause), the
// artifact *zip* archives and Ant-glob listings (both 404), the
// Run/Artifacts permission, fingerprints, the ';' filter outside
// artifact/; for Pipelines: steps other than input
// (stageFlowNodes hold only input steps, allSteps only build steps), wfapi
// on jobs and flow nodes (execution/node/...), wfapi changesets and
// artifacts links, graph view's steps and log (404) and its "title"
// (always ""), waitForBuild, the console's HTML form, Blue Ocean, the
// inProgress:false moment before the execution exists, abortPrevious,
// Administer (a submitter list binds every user), a branch running on while
// another waits (the whole script pauses), and try/catch around input: a
// rejection ends the build ABORTED.
// X-Text-Size always points just after the last byte sent, so a withheld
// partial line comes with the next answer; the 2.509+ reading in which it
// would be skipped is unverified and not modelled.
//
// It is also a product dependency: internal/demo serves it for
// `jenkins-trigger --demo`, so it must not import the testing package.
package jenkinstest
