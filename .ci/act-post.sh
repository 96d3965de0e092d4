#!/usr/bin/env bash
# Runs the action under act (nektos/act) against a fake Jenkins, to show
# that the post-entrypoint stops what a killed main step left: act gives a
# docker action's post step no STATE_ variables, so the post mode reads the
# record the step kept beside GITHUB_STATE (internal/backstop).
#
#   killed:  the step triggers "slow" (ten minutes), and its container is
#            killed (SIGKILL) once the build runs. The post step must stop
#            the build: it ends ABORTED.
#   timeout: the same, but act stops the step when its timeout-minutes: 1
#            passes. act v0.2.89 then fails to remove the step's container
#            (it does so with the step's expired context) and leaves it
#            running; the post step must stop the build all the same.
#   normal:  the step follows "quick" to its end. The post step must send
#            no request at all.
#
# Not run by .ci/run. It needs Go, a running Docker daemon, act on PATH
# (go install github.com/nektos/act@v0.2.89) and a static busybox at
# /bin/busybox (Debian: busybox-static); no registry: both images are
# made locally. Without a daemon, one can be started with
#   dockerd --storage-driver vfs --iptables=false --bridge=none &
# since every container here shares the host's network (act's default
# --network host). Run it from anywhere: bash .ci/act-post.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
fake_pid=
# The containers of the action's image: only this script's steps run it.
step_containers() { docker ps -aq --filter ancestor=jenkins-trigger-act:local; }
cleanup() {
  if [[ -n $fake_pid ]]; then kill "$fake_pid" 2>/dev/null || true; fi
  step_containers | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "images: a busybox base, and the action's image on it"
mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/image"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ $applet == busybox ]] || ln -s busybox "$work/rootfs/bin/$applet"
done
tar -C "$work/rootfs" -c . | docker import - jenkins-trigger-act-base:local >/dev/null
CGO_ENABLED=0 go build -trimpath -o "$work/image/jenkins-trigger" .
cp docker/post-entrypoint "$work/image/jenkins-trigger-post"
# The repository's Dockerfile, but one stage on the local base.
cat >"$work/image/Dockerfile" <<'DOCKERFILE'
FROM jenkins-trigger-act-base:local
COPY jenkins-trigger /usr/local/bin/jenkins-trigger
COPY jenkins-trigger-post /usr/local/bin/jenkins-trigger-post
ENTRYPOINT ["/usr/local/bin/jenkins-trigger"]
DOCKERFILE
docker build -q -t jenkins-trigger-act:local "$work/image" >/dev/null

step "the fake Jenkins"
go build -o "$work/fake" ./.ci/act-post
"$work/fake" "$work/url" >"$work/requests.log" 2>&1 &
fake_pid=$!
for _ in $(seq 50); do [[ -s $work/url ]] && break; sleep 0.1; done
url=$(cat "$work/url")
echo "$url"

step "a scratch repository: action.yml on the local image, and the workflow"
scratch=$work/repo
mkdir -p "$scratch/.github/workflows"
sed 's|^  image: .*|  image: docker://jenkins-trigger-act:local|' action.yml >"$scratch/action.yml"
grep -q 'image: docker://jenkins-trigger-act:local' "$scratch/action.yml" || fail "action.yml has no image line to replace"
cat >"$scratch/.github/workflows/act-post.yml" <<'WORKFLOW'
name: act-post
on: push
jobs:
  killed:
    runs-on: ubuntu-latest
    steps:
      - id: trigger
        uses: ./
        with:
          url: ${{ env.FAKE_URL }}
          job: slow
          user: act
          token: ${{ secrets.JENKINS_TOKEN }}
  timeout:
    runs-on: ubuntu-latest
    steps:
      - id: trigger
        uses: ./
        timeout-minutes: 1
        with:
          url: ${{ env.FAKE_URL }}
          job: slow
          user: act
          token: ${{ secrets.JENKINS_TOKEN }}
  normal:
    runs-on: ubuntu-latest
    steps:
      - id: trigger
        uses: ./
        with:
          url: ${{ env.FAKE_URL }}
          job: quick
          user: act
          token: ${{ secrets.JENKINS_TOKEN }}
      # Marks in the fake's log where the main step's requests end.
      - run: wget -q -O /dev/null "$FAKE_URL/main-step-ended" || true
        shell: sh
WORKFLOW
git -C "$scratch" init -q
git -C "$scratch" add -A
git -C "$scratch" -c user.name=act -c user.email=act@example.invalid commit -q -m scratch

act_run() {
  (cd "$scratch" && act push -j "$1" --pull=false --bind --rm \
    -P ubuntu-latest=jenkins-trigger-act-base:local \
    --env FAKE_URL="$url" -s JENKINS_TOKEN=11act0token0not0a0real0secret0x) 2>&1 | tee "$work/act-$1.log"
  return "${PIPESTATUS[0]}"
}

builds() { curl -fsS "${url%/jenkins}/fake/builds?job=$1"; }

# stopped checks that slow has n builds, each stopped and ended ABORTED.
# Jenkins takes a moment to wind an aborted build down, as the fake does: it
# is given 20 s to end.
stopped() {
  for _ in $(seq 20); do
    builds slow >"$work/slow.json"
    [[ $(jq '[.[] | select(.Completed == "0001-01-01T00:00:00Z")] | length' "$work/slow.json") == 0 ]] && break
    sleep 1
  done
  cat "$work/slow.json"
  echo
  [[ $(jq length "$work/slow.json") == "$1" ]] || fail "slow has not $1 builds"
  [[ $(jq '[.[] | select(.Result == "ABORTED" and .Aborted and .Completed != "0001-01-01T00:00:00Z")] | length' "$work/slow.json") == "$1" ]] ||
    fail "a build of slow did not end ABORTED by a stop"
  [[ $(grep -c 'POST /jenkins/job/slow/[0-9]*/stop' "$work/requests.log") == "$1" ]] || fail "not $1 stop requests"
}

step "killed: the main step's container is killed once the build runs; the post step stops the build"
act_run killed &
act_pid=$!
for _ in $(seq 300); do [[ $(builds slow | jq length) == 1 ]] && break; sleep 0.2; done
[[ $(builds slow | jq length) == 1 ]] || fail "slow never started"
sleep 2
main=$(step_containers)
[[ $(wc -w <<<"$main") == 1 ]] || fail "not one step container running: $main"
echo "docker kill --signal KILL $main"
docker kill --signal KILL "$main" >/dev/null
if wait "$act_pid"; then fail "the killed job succeeded"; fi
grep -q "Success - Post ./" "$work/act-killed.log" || fail "act ran no post step, or it failed"
grep -q "Asked Jenkins to stop slow #1" "$work/act-killed.log" || fail "the post step did not stop slow #1"
stopped 1

step "timeout: act stops the main step after timeout-minutes: 1; the post step stops the build"
if act_run timeout; then fail "the timed-out job succeeded"; fi
grep -q "Success - Post ./" "$work/act-timeout.log" || fail "act ran no post step, or it failed"
grep -q "Asked Jenkins to stop slow #2" "$work/act-timeout.log" || fail "the post step did not stop slow #2"
stopped 2
step_containers | xargs -r docker rm -f >/dev/null

step "normal: the step follows its build to the end; the post step sends nothing"
act_run normal || fail "the normal job failed"
grep -q "Success - Post ./" "$work/act-normal.log" || fail "act ran no post step, or it failed"
[[ $(builds quick | jq -r '.[0].Result') == SUCCESS ]] || fail "quick #1 did not succeed"
after=$(sed -n '/main-step-ended/,$p' "$work/requests.log" | tail -n +2)
[[ -z $after ]] || fail "the post step sent requests: $after"

step "the fake's requests"
cat "$work/requests.log"
echo
echo "OK: act ran the post-entrypoint; it stopped the builds of the killed and timed-out steps, and sent nothing after the normal one"
