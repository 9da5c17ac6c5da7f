package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The CI snippets of docs/CI.md, run as each CI system would run them. See "How the
// snippets are tested" there.

const installLine = "go install github.com/releasekit/releasekit/cmd/releasekit@latest"

// step is one unit a CI system runs and stops at when it fails.
type step struct {
	script string
	shell  []string // the command the system runs the script file with
}

// job is what a snippet runs: its steps and its pipeline variables.
type job struct {
	steps []step
	vars  map[string]string
	// classVar is the environment variable the change class travels in.
	classVar string
	// goBinOnPath: the system's Go image puts Go's default bin directory on the PATH.
	goBinOnPath bool
}

var snippetMarker = regexp.MustCompile("(?s)<!-- ci:([a-z]+) -->\n```[a-z]+\n(.*?)```")

func snippets(t *testing.T) map[string]string {
	doc, err := os.ReadFile("../../docs/CI.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range snippetMarker.FindAllStringSubmatch(string(doc), -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestCISnippets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	all := snippets(t)
	parsers := map[string]func(*testing.T, string) job{
		"github": githubJob, "gitlab": gitlabJob, "jenkins": jenkinsJob,
		"azure": azureJob, "circleci": circleJob, "bamboo": bambooJob,
	}
	for name := range parsers {
		if _, ok := all[name]; !ok {
			t.Fatalf("docs/CI.md has no snippet marked <!-- ci:%s -->", name)
		}
	}
	for name := range all {
		if _, ok := parsers[name]; !ok {
			t.Fatalf("docs/CI.md has a snippet ci:%s that no test runs", name)
		}
	}
	bin := buildCommand(t)
	for name, parse := range parsers {
		t.Run(name, func(t *testing.T) {
			j := parse(t, all[name])
			if len(j.steps) == 0 {
				t.Fatal("the snippet runs no step")
			}
			for _, tc := range []struct {
				why      string
				calendar string
				class    string
				deploys  bool
				status   int
				log      string
			}{
				{"an open calendar deploys", openCalendar, "", true, 0, "may start: a standard deploy in prod"},
				{"a freeze stops a standard change", frozenCalendar(), "", false, 1, `by rule "change freeze"`},
				{"an emergency passes the freeze", frozenCalendar(), "emergency", true, 0, "may start: an emergency deploy in prod"},
				{"a malformed calendar stops the job", "version: 1\nzone: Mars/Olympus\n", "", false, 2, "release-calendar.yaml:2:7: zone \"Mars/Olympus\" is not an IANA time zone"},
			} {
				t.Run(tc.why, func(t *testing.T) {
					status, log, deployed := runJob(t, bin, j, tc.calendar, tc.class)
					if status != tc.status || deployed != tc.deploys || !strings.Contains(log, tc.log) {
						t.Fatalf("the job ended with status %d, deployed=%v, want %d, deployed=%v, and %q in the log; the log:\n%s",
							status, deployed, tc.status, tc.deploys, tc.log, log)
					}
				})
			}
		})
	}
}

const openCalendar = "version: 1\nzone: Europe/Berlin\n"

// frozenCalendar freezes prod from a day ago to a day from now, emergencies allowed.
func frozenCalendar() string {
	now := time.Now().UTC()
	return fmt.Sprintf(`version: 1
zone: UTC
freezes:
  - name: change freeze
    start: %s
    end: %s
    scope: {environments: [prod]}
    allow: {classes: [emergency]}
`, now.Add(-24*time.Hour).Format("2006-01-02 15:04"), now.Add(24*time.Hour).Format("2006-01-02 15:04"))
}

// buildCommand builds releasekit from this module.
func buildCommand(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "releasekit")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runJob runs j in a fresh workspace with calendar as release-calendar.yaml and returns
// the exit status of the step that failed (0 when none did), the log, and whether
// deploy.sh ran.
func runJob(t *testing.T, bin string, j job, calendar, class string) (int, string, bool) {
	ws := t.TempDir()
	home := t.TempDir()
	stubs := t.TempDir()
	write := func(path, content string, mode os.FileMode) {
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(ws, "release-calendar.yaml"), calendar, 0o644)
	write(filepath.Join(ws, "deploy.sh"), "#!/bin/sh\ntouch deployed\necho deployed\n", 0o755)
	// The stand-in go accepts exactly the documented install line and installs the
	// binary built from this repository.
	write(filepath.Join(stubs, "go"), fmt.Sprintf(`#!/bin/sh
if [ "$*" != "install github.com/releasekit/releasekit/cmd/releasekit@latest" ]; then
	echo "stand-in go: unexpected arguments: $*" >&2
	exit 97
fi
dir="${GOBIN:-$HOME/go/bin}"
mkdir -p "$dir" && cp %q "$dir/releasekit"
`, bin), 0o755)
	path := stubs + ":/usr/local/bin:/usr/bin:/bin"
	if j.goBinOnPath {
		path = stubs + ":" + filepath.Join(home, "go", "bin") + ":/usr/local/bin:/usr/bin:/bin"
	}
	env := []string{"PATH=" + path, "HOME=" + home, "NO_COLOR=1"}
	for k, v := range j.vars {
		if k == j.classVar && class != "" {
			v = class
		}
		env = append(env, k+"="+v)
	}
	var log strings.Builder
	for i, s := range j.steps {
		file := filepath.Join(t.TempDir(), fmt.Sprintf("step%d.sh", i))
		write(file, s.script+"\n", 0o644)
		args := append(append([]string{}, s.shell[1:]...), file)
		cmd := exec.Command(s.shell[0], args...)
		cmd.Dir, cmd.Env = ws, env
		out, err := cmd.CombinedOutput()
		fmt.Fprintf(&log, "$ %s\n%s", s.script, out)
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("running step %d: %v", i, err)
			}
			_, statErr := os.Stat(filepath.Join(ws, "deployed"))
			return ee.ExitCode(), log.String(), statErr == nil
		}
	}
	_, statErr := os.Stat(filepath.Join(ws, "deployed"))
	return 0, log.String(), statErr == nil
}

func parseYAML(t *testing.T, src string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(src), v); err != nil {
		t.Fatalf("the snippet is not valid YAML: %v", err)
	}
}

// checkInstall fails t unless a script that installs releasekit uses the documented line.
func checkInstall(t *testing.T, script string) {
	if strings.Contains(script, "go install") && !strings.Contains(script, installLine) {
		t.Fatalf("the install step is not %q: %s", installLine, script)
	}
}

// GitHub Actions: run steps in `bash -e {0}`, the default shell on Linux.
func githubJob(t *testing.T, src string) job {
	var wf struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			RunsOn string            `yaml:"runs-on"`
			Env    map[string]string `yaml:"env"`
			Steps  []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	parseYAML(t, src, &wf)
	if len(wf.On) == 0 || len(wf.Jobs) != 1 {
		t.Fatalf("want a workflow with a trigger and one job, got %+v", wf)
	}
	j := job{classVar: "CHANGE_CLASS", goBinOnPath: true}
	for _, jb := range wf.Jobs {
		if jb.RunsOn == "" {
			t.Fatal("the job has no runs-on")
		}
		j.vars = jb.Env
		for _, s := range jb.Steps {
			switch {
			case s.Run != "":
				checkInstall(t, s.Run)
				j.steps = append(j.steps, step{script: s.Run, shell: []string{"bash", "-e"}})
			case strings.HasPrefix(s.Uses, "actions/checkout@"), strings.HasPrefix(s.Uses, "actions/setup-go@"):
			default:
				t.Fatalf("unknown step %+v", s)
			}
		}
	}
	return j
}

// GitLab CI: before_script and script in one shell that stops at the first failure.
func gitlabJob(t *testing.T, src string) job {
	var doc map[string]yaml.Node
	parseYAML(t, src, &doc)
	var j job
	found := 0
	for name, n := range doc {
		if name == "stages" || name == "variables" || name == "default" || name == "workflow" {
			continue
		}
		var jb struct {
			Stage        string            `yaml:"stage"`
			Image        string            `yaml:"image"`
			Variables    map[string]string `yaml:"variables"`
			BeforeScript []string          `yaml:"before_script"`
			Script       []string          `yaml:"script"`
		}
		if err := n.Decode(&jb); err != nil {
			t.Fatalf("job %s: %v", name, err)
		}
		if jb.Stage == "" || len(jb.Script) == 0 {
			t.Fatalf("job %s has no stage or script", name)
		}
		found++
		lines := append(append([]string{}, jb.BeforeScript...), jb.Script...)
		for _, l := range lines {
			checkInstall(t, l)
		}
		j = job{vars: jb.Variables, classVar: "CHANGE_CLASS", goBinOnPath: true,
			steps: []step{{script: strings.Join(lines, "\n"), shell: []string{"bash", "-e", "-o", "pipefail"}}}}
	}
	if found != 1 {
		t.Fatalf("want one job, found %d", found)
	}
	return j
}

var (
	jenkinsSh       = regexp.MustCompile(`(?m)^\s*sh\s+'((?:[^'\\]|\\.)*)'\s*$`)
	jenkinsAnySh    = regexp.MustCompile(`(?m)^\s*sh\b`)
	jenkinsChoice   = regexp.MustCompile(`choice\(name:\s*'([A-Z_]+)',\s*choices:\s*\['([a-z]+)'`)
	jenkinsSections = []string{"pipeline {", "agent any", "stages {", "stage('Release calendar')", "stage('Deploy')", "steps {"}
)

// Jenkins: the sh steps of the declarative pipeline, in order, each in `sh -xe`; build
// parameters are environment variables.
func jenkinsJob(t *testing.T, src string) job {
	if strings.Count(src, "{") != strings.Count(src, "}") {
		t.Fatal("the Jenkinsfile's braces do not balance")
	}
	for _, s := range jenkinsSections {
		if !strings.Contains(src, s) {
			t.Fatalf("the Jenkinsfile has no %q", s)
		}
	}
	steps := jenkinsSh.FindAllStringSubmatch(src, -1)
	if len(steps) != len(jenkinsAnySh.FindAllString(src, -1)) {
		t.Fatal("every sh step must be a single-quoted string on its own line (Groovy would interpolate a double-quoted one)")
	}
	j := job{vars: map[string]string{}, classVar: "CHANGE_CLASS"}
	for _, m := range jenkinsChoice.FindAllStringSubmatch(src, -1) {
		j.vars[m[1]] = m[2] // a choice parameter defaults to its first choice
	}
	if j.vars["CHANGE_CLASS"] == "" {
		t.Fatal("the Jenkinsfile has no CHANGE_CLASS choice parameter")
	}
	for _, m := range steps {
		script := strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(m[1])
		checkInstall(t, script)
		j.steps = append(j.steps, step{script: script, shell: []string{"sh", "-xe"}})
	}
	return j
}

// Azure DevOps: each script step in Bash without -e (the last command's status counts);
// pipeline variables are environment variables.
func azureJob(t *testing.T, src string) job {
	type stepT struct {
		Script   string `yaml:"script"`
		Bash     string `yaml:"bash"`
		Checkout string `yaml:"checkout"`
		Task     string `yaml:"task"`
	}
	var p struct {
		Trigger   any               `yaml:"trigger"`
		Variables map[string]string `yaml:"variables"`
		Stages    []struct {
			Stage string `yaml:"stage"`
			Jobs  []struct {
				Deployment  string `yaml:"deployment"`
				Environment string `yaml:"environment"`
				Strategy    struct {
					RunOnce struct {
						Deploy struct {
							Steps []stepT `yaml:"steps"`
						} `yaml:"deploy"`
					} `yaml:"runOnce"`
				} `yaml:"strategy"`
			} `yaml:"jobs"`
		} `yaml:"stages"`
	}
	parseYAML(t, src, &p)
	if len(p.Stages) != 1 || len(p.Stages[0].Jobs) != 1 || p.Stages[0].Jobs[0].Environment == "" {
		t.Fatalf("want one stage with one deployment job to an environment, got %+v", p.Stages)
	}
	j := job{vars: p.Variables, classVar: "CHANGE_CLASS"}
	for _, s := range p.Stages[0].Jobs[0].Strategy.RunOnce.Deploy.Steps {
		switch {
		case s.Script != "" || s.Bash != "":
			script := s.Script + s.Bash
			checkInstall(t, script)
			j.steps = append(j.steps, step{script: script, shell: []string{"bash", "--noprofile", "--norc"}})
		case s.Checkout == "self", strings.HasPrefix(s.Task, "GoTool@"):
		default:
			t.Fatalf("unknown step %+v", s)
		}
	}
	return j
}

// CircleCI: each run step in `/bin/bash -eo pipefail`.
func circleJob(t *testing.T, src string) job {
	var c struct {
		Version any `yaml:"version"`
		Jobs    map[string]struct {
			Docker      []map[string]string `yaml:"docker"`
			Environment map[string]string   `yaml:"environment"`
			Steps       []yaml.Node         `yaml:"steps"`
		} `yaml:"jobs"`
		Workflows map[string]any `yaml:"workflows"`
	}
	parseYAML(t, src, &c)
	if c.Version != 2.1 || len(c.Jobs) != 1 || len(c.Workflows) == 0 {
		t.Fatalf("want version 2.1, one job and a workflow, got %+v", c)
	}
	j := job{classVar: "CHANGE_CLASS", goBinOnPath: true}
	for _, jb := range c.Jobs {
		if len(jb.Docker) == 0 {
			t.Fatal("the job has no executor")
		}
		j.vars = jb.Environment
		for _, n := range jb.Steps {
			if n.Kind == yaml.ScalarNode && n.Value == "checkout" {
				continue
			}
			var s struct {
				Run yaml.Node `yaml:"run"`
			}
			if err := n.Decode(&s); err != nil || s.Run.Kind == 0 {
				t.Fatalf("unknown step at line %d", n.Line)
			}
			cmd := s.Run.Value
			if s.Run.Kind == yaml.MappingNode {
				var r struct {
					Command string `yaml:"command"`
				}
				if err := s.Run.Decode(&r); err != nil {
					t.Fatal(err)
				}
				cmd = r.Command
			}
			checkInstall(t, cmd)
			j.steps = append(j.steps, step{script: cmd, shell: []string{"/bin/bash", "-eo", "pipefail"}})
		}
	}
	return j
}

// Bamboo: each script task's lines as one script in sh (the last line's status counts);
// a variable NAME reaches the script as $bamboo_NAME.
func bambooJob(t *testing.T, src string) job {
	var doc map[string]yaml.Node
	parseYAML(t, src, &doc)
	var head struct {
		Version    int `yaml:"version"`
		Deployment struct {
			Name       string `yaml:"name"`
			SourcePlan string `yaml:"source-plan"`
		} `yaml:"deployment"`
		Environments []string `yaml:"environments"`
	}
	var all yaml.Node
	if err := yaml.Unmarshal([]byte(src), &all); err != nil {
		t.Fatal(err)
	}
	if err := all.Decode(&head); err != nil {
		t.Fatal(err)
	}
	if head.Version != 2 || head.Deployment.Name == "" || head.Deployment.SourcePlan == "" || len(head.Environments) != 1 {
		t.Fatalf("want a version 2 deployment with one environment, got %+v", head)
	}
	envNode, ok := doc[head.Environments[0]]
	if !ok {
		t.Fatalf("environment %s is not defined", head.Environments[0])
	}
	var env struct {
		Variables map[string]string `yaml:"variables"`
		Tasks     []yaml.Node       `yaml:"tasks"`
	}
	if err := envNode.Decode(&env); err != nil {
		t.Fatal(err)
	}
	j := job{vars: map[string]string{}, classVar: "bamboo_change_class"}
	for k, v := range env.Variables {
		j.vars["bamboo_"+k] = v
	}
	for _, n := range env.Tasks {
		if n.Kind == yaml.ScalarNode && n.Value == "clean" {
			continue
		}
		var task map[string]yaml.Node
		if err := n.Decode(&task); err != nil || len(task) != 1 {
			t.Fatalf("unknown task at line %d", n.Line)
		}
		if _, ok := task["artifact-download"]; ok {
			continue
		}
		sn, ok := task["script"]
		if !ok {
			t.Fatalf("unknown task at line %d", n.Line)
		}
		var lines []string
		if err := sn.Decode(&lines); err != nil {
			t.Fatalf("script task at line %d: %v", n.Line, err)
		}
		script := strings.Join(lines, "\n")
		checkInstall(t, script)
		j.steps = append(j.steps, step{script: script, shell: []string{"sh"}})
	}
	return j
}
