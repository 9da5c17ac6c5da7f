// Package snowtest is a local stand-in for a ServiceNow instance's Table API, for
// tests of code that syncs change requests: adapters/servicenow's own tests, the
// release bot's and the quickstart's. It is an httptest server; nothing leaves the
// machine.
//
// It was written from ServiceNow's public documentation, without access to a live
// instance (the documentation pages could not be reached from where it was built,
// so it follows them as remembered; where the real behaviour is not documented the
// choice made here is named below). The pages it follows:
//
//   - "Table API" (REST API reference, ServiceNow product documentation):
//     GET/POST /api/now/table/{tableName}, GET/PUT/PATCH/DELETE
//     /api/now/table/{tableName}/{sys_id}; the parameters sysparm_query,
//     sysparm_fields (dot-walked fields such as approver.user_name included),
//     sysparm_limit, sysparm_offset, sysparm_exclude_reference_link; answers
//     {"result": …} with every value as a string and reference fields as
//     {"link", "value"} objects; the X-Total-Count header; 201 on create, 204 on
//     delete; errors as {"error": {"message", "detail"}, "status": "failure"}.
//   - "Encoded query strings" (field=value, field!=value, field IN a,b joined
//     with ^, ORDERBY and ORDERBYDESC).
//   - "Change request states" / "State model and transitions" (Change Management):
//     the state codes -5 New, -4 Assess, -3 Authorize, -2 Scheduled, -1 Implement,
//     0 Review, 3 Closed, 4 Canceled, and which moves each change type (normal,
//     standard, emergency) allows.
//   - "Approvals" / the sysapproval_approver table: one record per approver, with
//     sysapproval pointing at the change, approver at the sys_user, and state
//     requested, approved, rejected, not_required or cancelled.
//   - "REST API rate limiting": 429 Too Many Requests with a Retry-After header.
//   - "Basic authentication" and "OAuth" for inbound REST: a user name and
//     password, or a bearer access token.
//
// Choices where the documentation leaves things open, made to catch client bugs:
// an encoded query with an operator this server does not know is a 400 (a real
// instance may ignore the bad term and return every record); a state move the
// change's model does not allow is a 403 whose detail names both states; closing
// without close_code and close_notes is a 403 (the data policy of the base
// system); fields the change_request table does not have are dropped silently, as
// the real Table API does.
//
// Fault injection ([Server.Inject], [Server.SetDown], [Server.EditBeforeNextWrite])
// covers what an integration meets in production: 429 with Retry-After, 5xx, a
// request that never answers (a timeout), a write applied whose answer is lost
// (so the client sends it again: a duplicate delivery), and a person editing the
// change request between the client's read and its write (a conflict).
package snowtest
