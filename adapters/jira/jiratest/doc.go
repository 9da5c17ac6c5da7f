// Package jiratest is a local Jira server for tests: the subset of the Jira Cloud
// REST API v3, the Jira Data Center REST API v2 and the Jira Service Management
// REST API that adapters/jira calls, with the documented endpoints, methods and
// payload shapes, kept in memory, with fault injection (429 with Retry-After, 5xx,
// requests that hang until the client gives up, writes that are applied but
// answered with an error so the client delivers them again, and a person moving
// an issue in the meantime).
//
// It was written from Atlassian's public REST API references, from knowledge: no
// Jira instance and none of those pages could be reached where it was built, so it
// is a faithful reading of the documentation, not a recording of a live site. The
// pages, by title (each is a section of the "Jira Cloud platform REST API" v3
// reference, of the "Jira Server platform REST API" v2 reference for Data Center,
// or of the "Jira Service Management Cloud REST API" reference):
//
//   - Issues: "Create issue" (POST /rest/api/{2,3}/issue), "Get issue"
//     (GET /rest/api/{2,3}/issue/{issueIdOrKey}), "Delete issue", "Get transitions"
//     and "Transition issue" (GET and POST /rest/api/{2,3}/issue/{issueIdOrKey}/transitions).
//   - Issue search: "Search for issues using JQL enhanced search (POST)"
//     (POST /rest/api/3/search/jql: jql, fields, maxResults, nextPageToken,
//     reconcileIssues; answers issues, nextPageToken, isLast) and, for v2,
//     "Search for issues using JQL (POST)" (POST /rest/api/2/search: startAt,
//     maxResults, total, issues).
//   - Issue comments: "Get comments" and "Add comment"
//     (GET and POST /rest/api/{2,3}/issue/{issueIdOrKey}/comment; a paged
//     startAt/maxResults/total/comments answer).
//   - Issue properties: "Get issue property" and "Set issue property"
//     (GET and PUT /rest/api/{2,3}/issue/{issueIdOrKey}/properties/{propertyKey};
//     404 for a missing property; PUT answers 201 when it creates, 200 when it updates).
//   - Projects and project versions: "Get project" (GET /rest/api/{2,3}/project/{projectIdOrKey}),
//     "Get project versions" (GET /rest/api/{2,3}/project/{projectIdOrKey}/versions),
//     "Create version" (POST /rest/api/{2,3}/version) and "Update version"
//     (PUT /rest/api/{2,3}/version/{id}: released, releaseDate as yyyy-MM-dd).
//   - "Atlassian Document Format" (the document structure reference): v3 bodies are
//     {"type":"doc","version":1,"content":[…]} documents; v2 bodies are strings.
//   - Jira Service Management: "Get approvals"
//     (GET /rest/servicedeskapi/request/{issueIdOrKey}/approval: a paged
//     size/start/limit/isLastPage/values answer of approvals with id, name,
//     finalDecision, approvers[{approver, approverDecision}]).
//   - "Rate limiting" (Jira Cloud): 429 with a Retry-After header in seconds.
//   - "Basic auth for REST APIs" (email and API token) and, for Data Center,
//     "Using Personal Access Tokens" (Authorization: Bearer).
//
// Error answers have Jira's shape: {"errorMessages":[…],"errors":{"field":"…"}}.
//
// JQL: the server understands the clauses the adapter writes, "field = value"
// joined by AND for the fields project and labels, with an optional ORDER BY
// (ignored: issues come in id order); any other query is a 400 that says so.
// Search is immediately consistent unless [Server.SetSearchLag] says otherwise.
package jiratest
