package release_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/releasekit/releasekit/release"
)

// FuzzPolicyValidate decodes an authorization policy from arbitrary JSON (a host
// keeps its policy as configuration) and checks it: Validate never panics and
// either accepts the policy or returns a *ValidationError (ErrInvalid) with at least
// one problem, the same one every time; a policy it accepts authorizes every event
// for every kind of actor without panicking, answering nil or a *ForbiddenError
// (ErrForbidden); and, unless the policy allows self-approval, the author of a
// release is refused approve by the separation-of-duties rule whatever their roles.
// Run with:
//
//	go test -run '^$' -fuzz '^FuzzPolicyValidate$' -fuzztime 90s ./release
func FuzzPolicyValidate(f *testing.F) {
	for _, p := range []release.Policy{release.DefaultPolicy(), release.AllowAll(), {},
		{Permissions: []release.Permission{{Name: "prod-bots", Events: []release.Event{release.EventStart}, Roles: []string{"ci"},
			Environments: []string{"prod"}, Classes: []release.Class{release.ClassEmergency}, Kinds: []release.ActorKind{release.ActorAutomation}}}},
		{Permissions: []release.Permission{{Name: "x", Events: []release.Event{"launch"}, Classes: []release.Class{"urgent"}, Kinds: []release.ActorKind{"robot"}}, {Name: "x"}, {}}, AllowSelfApproval: true},
	} {
		b, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Permissions":[{"Name":" ","Events":null}]}`))
	f.Add([]byte(`{"permissions":[{"name":"a","events":["approve"],"roles":[]}],"allowselfapproval":false}`))
	f.Add([]byte(`null`))
	actors := func(author string) []release.Actor {
		roles := []string{release.RoleDeveloper, release.RoleReleaseManager, release.RoleApprover, release.RoleDeployer, "ci", ""}
		return []release.Actor{
			release.Person(author, roles...), release.Person("bob", release.RoleApprover), release.Person("", nil...),
			release.Automation("pipeline", roles...), {ID: "ghost", Kind: "robot", Roles: roles},
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p release.Policy
		if json.Unmarshal(b, &p) != nil {
			return
		}
		err := p.Validate()
		if err != nil {
			var ve *release.ValidationError
			if !errors.Is(err, release.ErrInvalid) || !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Validate() = %v, want a *ValidationError with problems (ErrInvalid)", err)
			}
			if again := p.Validate(); again == nil || again.Error() != err.Error() {
				t.Fatalf("Validate is not deterministic: %v then %v", err, again)
			}
			return
		}
		for _, env := range []string{"prod", "dev", ""} {
			for _, class := range append(release.Classes(), "") {
				r := release.Release{Author: "alice", Environment: env, Class: class}
				for _, a := range actors(r.Author) {
					for _, e := range release.Events() {
						err := p.Authorize(a, e, r)
						var fe *release.ForbiddenError
						if err != nil && (!errors.Is(err, release.ErrForbidden) || !errors.As(err, &fe) || fe.Event != e) {
							t.Fatalf("Authorize(%v, %s) = %v, want nil or a *ForbiddenError for the event", a, e, err)
						}
						if e == release.EventApprove && a.ID == r.Author && !p.AllowSelfApproval && (fe == nil || fe.Rule != "separation-of-duties") {
							t.Fatalf("the author was not refused approve by separation of duties: %v", err)
						}
					}
				}
			}
		}
	})
}
