package snowtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
)

type answer struct {
	Status int
	Header http.Header
	Body   map[string]any
}

func send(t *testing.T, s *snowtest.Server, method, path string, body any) answer {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	require.NoError(t, err)
	req.SetBasicAuth("admin", "pw")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	a := answer{Status: resp.StatusCode, Header: resp.Header}
	_ = json.NewDecoder(resp.Body).Decode(&a.Body)
	return a
}

func TestTableAPIShapes(t *testing.T) {
	s := snowtest.New(snowtest.WithUser("admin", "pw"))
	defer s.Close()

	a := send(t, s, "POST", "/api/now/table/change_request", map[string]any{"short_description": "x", "type": "normal", "assignment_group": "g1", "risk": 3, "u_unknown": "dropped"})
	require.Equal(t, http.StatusCreated, a.Status)
	res := a.Body["result"].(map[string]any)
	assert.Equal(t, "-5", res["state"])
	assert.Equal(t, "3", res["risk"], "every value is a string")
	assert.Equal(t, "CHG0010001", res["number"])
	assert.NotContains(t, res, "u_unknown", "fields the table does not have are dropped")
	ref := res["assignment_group"].(map[string]any)
	assert.Equal(t, "g1", ref["value"])
	assert.Contains(t, ref["link"], "/api/now/table/sys_user_group/g1")
	id := res["sys_id"].(string)

	a = send(t, s, "GET", "/api/now/table/change_request?sysparm_query=short_description%3Dx%5EORDERBYnumber&sysparm_fields=number,assignment_group&sysparm_exclude_reference_link=true", nil)
	require.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, "1", a.Header.Get("X-Total-Count"))
	rows := a.Body["result"].([]any)
	require.Len(t, rows, 1)
	assert.Equal(t, map[string]any{"number": "CHG0010001", "assignment_group": "g1"}, rows[0])

	a = send(t, s, "GET", "/api/now/table/change_request?sysparm_query=short_descriptionLIKEx", nil)
	assert.Equal(t, http.StatusBadRequest, a.Status, "an operator this server does not know")

	a = send(t, s, "PATCH", "/api/now/table/change_request/"+id, map[string]any{"state": "-1"})
	require.Equal(t, http.StatusForbidden, a.Status)
	assert.Contains(t, a.Body["error"].(map[string]any)["detail"], "may not move from New (-5) to Implement (-1)")
	assert.Equal(t, "failure", a.Body["status"])

	for _, st := range []string{"-4", "-3", "-2", "-1", "0"} {
		require.Equal(t, http.StatusOK, send(t, s, "PATCH", "/api/now/table/change_request/"+id, map[string]any{"state": st}).Status, st)
	}
	a = send(t, s, "PATCH", "/api/now/table/change_request/"+id, map[string]any{"state": "3"})
	assert.Equal(t, http.StatusForbidden, a.Status)
	assert.Contains(t, a.Body["error"].(map[string]any)["detail"], "Close code, Close notes")
	a = send(t, s, "PATCH", "/api/now/table/change_request/"+id, map[string]any{"state": "3", "close_code": "successful", "close_notes": "ok"})
	assert.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, []string{"-5", "-4", "-3", "-2", "-1", "0", "3"}, s.Trail(id))

	a = send(t, s, "GET", "/api/now/table/change_request/ffff", nil)
	assert.Equal(t, http.StatusNotFound, a.Status)
	assert.Equal(t, http.StatusNoContent, send(t, s, "DELETE", "/api/now/table/change_request/"+id, nil).Status)
	assert.Empty(t, s.Records("change_request"))
}

func TestAuthAndFaults(t *testing.T) {
	s := snowtest.New(snowtest.WithUser("admin", "pw"))
	defer s.Close()
	req, _ := http.NewRequest("GET", s.URL()+"/api/now/table/change_request", nil)
	req.SetBasicAuth("admin", "nope")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	s.Inject(snowtest.Fault{Kind: snowtest.FaultStatus, Status: 429, RetryAfter: "5", Times: 2})
	for range 2 {
		a := send(t, s, "GET", "/api/now/table/change_request", nil)
		assert.Equal(t, 429, a.Status)
		assert.Equal(t, "5", a.Header.Get("Retry-After"))
	}
	assert.Equal(t, 200, send(t, s, "GET", "/api/now/table/change_request", nil).Status)

	s.Inject(snowtest.Fault{Kind: snowtest.FaultAppliedThenStatus, Status: 503, Method: "POST"})
	assert.Equal(t, 503, send(t, s, "POST", "/api/now/table/change_request", map[string]any{"type": "normal"}).Status)
	assert.Len(t, s.Records("change_request"), 1, "applied although the answer was 503")

	s.SetDown(true)
	assert.Equal(t, 503, send(t, s, "GET", "/api/now/table/change_request", nil).Status)
	s.SetDown(false)
}
