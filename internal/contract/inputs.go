package contract

import "github.com/jenkins-trigger/jenkins-trigger/internal/build"

// Inputs are every input of the contract, in the order users read them.
var Inputs = []Input{
	{
		Name:        "url",
		Required:    true,
		Description: "Jenkins base URL, with its context path if any (https://ci.example.com/jenkins). May carry user:token@, which is then used as credentials and never printed.",
	},
	{
		Name:        "job",
		DefaultDoc:  "required, unless follow is given",
		Description: "The job's full name as Jenkins shows it, folders separated by / (team/app/deploy), or the job's URL. A multibranch branch is named by its item name (repo/feature%2Flogin). Several jobs, one a line: each is triggered with the same parameters and files, and all are followed at once.",
	},
	{
		Name:        "follow",
		Description: "A build's URL or a queue item's URL, as the build_url and queue_url outputs give them: follow that build (or that queue item to its build) instead of triggering one. It must lie under url, or under the root URL Jenkins reports for itself; any other host is bad input. Several, one a line, or the builds output of an earlier step as it is: follow them all at once.",
	},
	{
		Name:        "user",
		Description: "Jenkins user id.",
	},
	{
		Name:        "token",
		Secret:      true,
		Description: "That user's API token (recommended) or password.",
	},
	{
		Name:        "build_token",
		Secret:      true,
		Description: "The job's \"Trigger builds remotely\" token, for triggering without a user.",
	},
	{
		Name:        "parameters",
		Description: "Build parameters: one NAME=value a line (the value is everything after the first =), or one JSON object ({\"NAME\": \"value\", \"FLAG\": true}).",
	},
	{
		Name:        "files",
		Description: "File parameters: one NAME=path a line; the file at path is uploaded as parameter NAME.",
	},
	{
		Name:        "wait_for",
		Default:     string(build.WaitCompletion),
		Choices:     names(build.WaitFors),
		Description: "How far to follow the build before exiting: queue (accepted into the queue), start (has a build number), completion (finished).",
	},
	{
		Name:        "timeout",
		Default:     "1h",
		Description: "Longest time to wait, queue included, as a Go duration (90s, 30m, 2h).",
	},
	{
		Name:        "abort_on_stop",
		Boolean:     true,
		DefaultDoc:  "true for a build this step triggers; false for one it follows through follow",
		Description: "When the step is stopped (timeout, SIGINT, SIGTERM), stop the Jenkins build, or cancel its queue item if it has not started.",
	},
	{
		Name:        "fail_on_unstable",
		Boolean:     true,
		Default:     "true",
		Description: "Whether an UNSTABLE result fails the step.",
	},
	{
		Name:        "log",
		Boolean:     true,
		Default:     "true",
		Description: "Stream the build's console output while it runs.",
	},
	{
		Name:        "on_input",
		Default:     string(build.InputWait),
		Choices:     names(build.InputPolicies),
		Description: "What to do when a Pipeline build pauses at an input step: wait (say so, with the input's message and the page where it is answered, and keep following until someone answers or timeout passes); abort (answer Abort; the build then usually ends ABORTED); proceed (answer with the input's OK button, sending every parameter of the input with its default value; an input with a parameter that has no default is not answered, and the run waits as with wait).",
	},
	{
		Name:        "artifacts",
		Description: "Ant-style patterns as in Jenkins' archiveArtifacts (dist/*.zip, **/*.xml), separated by commas or new lines: once the build has finished, whatever its result, download its archived artifacts that match.",
	},
	{
		Name:        "artifacts_dir",
		Default:     "jenkins-artifacts",
		Description: "Directory the artifacts are downloaded into, each at its path relative to the build's archive.",
	},
	{
		Name:        "dotenv",
		Description: "Path of a dotenv file to write the outputs to (GitLab CI's artifacts:reports:dotenv).",
	},
	{
		Name:        "junit",
		Description: "Path of a JUnit XML file to write the build's test report to (GitLab CI's artifacts:reports:junit), when the build has one.",
	},
	{
		Name:        "ca_cert",
		Description: "PEM text, or the path of a PEM file, of CAs to trust besides the system's.",
	},
	{
		Name:        "insecure",
		Boolean:     true,
		Default:     "false",
		Description: "Skip TLS certificate verification (prints a warning).",
	},
	{
		Name:        "headers",
		Secret:      true,
		Description: "Extra HTTP headers for a front door in front of Jenkins (an identity-aware proxy, Cloudflare Access, a WAF), one Name: value a line, sent with every request to Jenkins' origin and to no other. Values are secrets.",
	},
	{
		Name:        "oidc_audience",
		Description: "On GitHub: mint an OIDC ID token for this audience (the job needs permissions: id-token: write) and send it as Authorization: Bearer (or in oidc_header) to Jenkins' origin, minting it again before it expires. Excludes token and an Authorization line in headers.",
	},
	{
		Name:        "oidc_token",
		Description: "Elsewhere (GitLab's id_tokens:): the name of the environment variable that holds an ID token minted by the CI, sent as oidc_audience's token is. It cannot be minted again.",
	},
	{
		Name:        "oidc_header",
		Default:     "Authorization",
		Description: "The header that carries the OIDC token, as Bearer <token> for Authorization and Proxy-Authorization, the bare token for any other.",
	},
	{
		Name:        "client_cert",
		Description: "PEM text, or the path of a PEM file, of a TLS client certificate presented to Jenkins' origin (mutual TLS).",
	},
	{
		Name:        "client_key",
		Secret:      true,
		Description: "PEM text, or the path, of that certificate's private key. A secret.",
	},
	{
		Name:        "client_key_password",
		Secret:      true,
		Description: "The key's password, if it is encrypted. A secret.",
	},
	{
		Name:        "cause",
		DefaultDoc:  "the CI run: on GitHub the repository, workflow and run URL; on GitLab CI_PROJECT_PATH, CI_PIPELINE_URL and CI_JOB_URL",
		Description: "With build_token: the note Jenkins records as the build's cause (\"Started by remote host … with note: …\").",
	},
	{
		Name:        "queue_timeout",
		DefaultDoc:  "only timeout",
		Description: "Longest time a build may wait in the queue, as a Go duration. When it passes, an owned item is cancelled and the step exits 4, naming the queue's last reason.",
	},
	{
		Name:        "downstream",
		Default:     string(build.DownstreamShow),
		Choices:     names(build.Downstreams),
		Description: "The builds that a followed build starts (Pipeline build steps, Parameterized Trigger): show reports each as it appears and follows it to its end by its status; follow also streams their consoles; off ignores them.",
	},
}
