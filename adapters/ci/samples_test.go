package ci_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/releasekit/releasekit/adapters/ci"
)

// TestVendorSamples feeds every vendor's documented sample payload (testdata/README.md
// cites the pages) to its receiver and checks the result recorded on the release of
// its commit.
func TestVendorSamples(t *testing.T) {
	tests := []struct {
		name    string
		new     ctor
		file    string
		headers func(body []byte) map[string]string
		target  string
		want    ci.Result
	}{
		{
			name: "github check_run completed", new: ci.NewGitHub, file: "github/check_run.completed.json",
			headers: func(b []byte) map[string]string {
				return github("check_run", "72d3162e-cc78-11e3-81ab-4c9367dc0958", b)
			},
			want: ci.Result{Source: ci.GitHub, Delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Event: "check_run",
				Name: "Octocoders-linter", Status: "success", Native: "success", Commit: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
				Ref: "changes", URL: "https://github.com/Codertocat/Hello-World/runs/128620228", ExternalID: "128620228",
				Repository: "Codertocat/Hello-World"},
		},
		{
			name: "github check_suite completed", new: ci.NewGitHub, file: "github/check_suite.completed.json",
			headers: func(b []byte) map[string]string { return github("check_suite", "d1", b) },
			want: ci.Result{Source: ci.GitHub, Delivery: "d1", Event: "check_suite", Name: "octocoders-linter", Status: "success",
				Native: "success", Commit: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", Ref: "changes", ExternalID: "118578147",
				Repository: "Codertocat/Hello-World"},
		},
		{
			name: "github workflow_run completed", new: ci.NewGitHub, file: "github/workflow_run.completed.json",
			headers: func(b []byte) map[string]string { return github("workflow_run", "d2", b) },
			want: ci.Result{Source: ci.GitHub, Delivery: "d2", Event: "workflow_run", Name: "test", Status: "success",
				Native: "success", Commit: "3484a3fb816e0859fd6e1cea078d76385ff50625", Ref: "master",
				URL: "https://github.com/octo-org/octo-repo/actions/runs/289782451", ExternalID: "289782451",
				Repository: "octo-org/octo-repo"},
		},
		{
			name: "github deployment_status", new: ci.NewGitHub, file: "github/deployment_status.created.json",
			headers: func(b []byte) map[string]string { return github("deployment_status", "d3", b) },
			want: ci.Result{Source: ci.GitHub, Delivery: "d3", Event: "deployment_status", Name: "deployment/production",
				Status: "success", Native: "success", Commit: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", Ref: "master",
				ExternalID: "209916254", Repository: "Codertocat/Hello-World"},
		},
		{
			name: "gitlab pipeline", new: ci.NewGitLab, file: "gitlab/pipeline.json",
			headers: func([]byte) map[string]string { return gitlab("Pipeline Hook", "0d3b1c6e-3f2a-4d2b-9c1e-5a9f0b8e7d61") },
			want: ci.Result{Source: ci.GitLab, Delivery: "0d3b1c6e-3f2a-4d2b-9c1e-5a9f0b8e7d61", Event: "Pipeline Hook",
				Name: "Pipeline for branch: master", Status: "success", Native: "success",
				Commit: "bcbb5ec396a2c0f828686f14fac9b80b780504f2", Ref: "master",
				URL: "http://example.com/gitlab-org/gitlab-test/-/pipelines/31", ExternalID: "31", Repository: "gitlab-org/gitlab-test"},
		},
		{
			name: "gitlab job", new: ci.NewGitLab, file: "gitlab/job.json",
			headers: func([]byte) map[string]string { return gitlab("Job Hook", "u2") },
			want: ci.Result{Source: ci.GitLab, Delivery: "u2", Event: "Job Hook", Name: "test", Status: "pending", Native: "created",
				Commit: "2293ada6b400935a1378653304eaf6221e0fdb8f", Ref: "gitlab-script-trigger",
				URL: "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977", ExternalID: "1977", Repository: "gitlab-org/gitlab-test"},
		},
		{
			name: "jenkins notification with the token in the URL", new: ci.NewJenkins, file: "jenkins/notification.json",
			headers: func([]byte) map[string]string { return nil }, target: "/ci/jenkins?token=" + url.QueryEscape(secret),
			want: ci.Result{Source: ci.Jenkins, Event: "COMPLETED", Name: "asgard", Status: "success", Native: "SUCCESS",
				Commit: "c6d86dc654b12425e706bcf951adfe5a8627a517", Ref: "origin/master", URL: "http://localhost:8080/job/asgard/18/",
				ExternalID: "18", Repository: "https://github.com/evgeny-goldin/asgard.git"},
		},
		{
			name: "generic", new: ci.NewGeneric, file: "generic/result.json", headers: signed,
			want: ci.Result{Source: ci.Generic, Delivery: "azure-devops-build-4711-attempt-1", Event: "result", Name: "integration-tests",
				Status: "success", Native: "success", Commit: "3484a3fb816e0859fd6e1cea078d76385ff50625", Version: "1.4.0",
				Ref: "refs/heads/main", URL: "https://ci.example/fabrikam/payments/_build/results?buildId=4711", ExternalID: "4711",
				Repository: "fabrikam/payments"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			rel := e.release("1.4.0", map[string]string{"commit": tt.want.Commit})
			other := e.release("1.5.0", map[string]string{"commit": "0000000000000000000000000000000000000000"})
			body := sample(t, tt.file)
			target := tt.target
			if target == "" {
				target = "/ci"
			}
			code, a := post(t, e.handler(tt.new), target, body, tt.headers(body))
			if code != http.StatusOK {
				t.Fatalf("status %d, want 200: %+v", code, a)
			}
			got := e.recorded(rel)
			if len(got) != 1 {
				t.Fatalf("recorded %d results on the release of the commit, want 1", len(got))
			}
			if tt.want.Delivery == "" { // derived (Jenkins): stable, checked elsewhere
				tt.want.Delivery = got[0].Delivery
			}
			assert.Equal(t, tt.want, got[0], "the recorded result")
			if n := len(e.recorded(other)); n != 0 {
				t.Errorf("recorded %d results on a release of another commit", n)
			}
			if len(a.Recorded) != 1 || a.Recorded[0] != rel.String() {
				t.Errorf("answer lists %v, want [%s]", a.Recorded, rel)
			}
		})
	}
}
