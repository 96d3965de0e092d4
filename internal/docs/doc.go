// Package docs holds README.md and docs/ to the code. Its tests lint each
// GitHub workflow example with actionlint against this repository's
// actions, check each GitLab component include against the component's
// spec and each GitLab job's JENKINS_* variables against the contract,
// and follow every relative link to a file and heading that exist. It has
// no code of its own.
package docs
