package ci

import "github.com/releasekit/releasekit/gate"

// Tables are the status mappings by the names docs/CI-RECEIVERS.md gives them.
var Tables = map[string]map[string]gate.CheckStatus{
	"github conclusion":       githubConclusions,
	"github status":           githubProgress,
	"github deployment state": githubDeployments,
	"gitlab status":           gitlabStatuses,
	"jenkins result":          jenkinsResults,
	"generic status":          genericStatuses,
}
