package calendar

import "slices"

// The schedule index lets Calendar.Schedule place many requests in one environment in
// near-linear time. Without it each request's search starts at its earliest start and
// steps over every booking placed before it, one blocking booking at a time, so n
// requests sharing an earliest start cost O(n²). The index keeps, per environment,
// the merged stretches where the environment is at capacity and, per service, the
// merged stretches where the service is busy; a candidate that overlaps one jumps to
// its end in O(log n). Bookings are only ever added while a plan is built, so the
// stretches only grow and every jump stays valid.

// iv is a half-open interval [s, e) of Unix nanoseconds.
type iv struct{ s, e int64 }

// ivSet is a union of intervals: disjoint, sorted, touching intervals merged.
type ivSet []iv

// add adds [s, e) to the union.
func (x *ivSet) add(s, e int64) {
	if e <= s {
		return
	}
	set := *x
	// i: the first interval ending at or after s (it touches or overlaps [s, e));
	// j: the first interval starting after e.
	i, _ := slices.BinarySearchFunc(set, s, func(a iv, t int64) int { return cmpInt(a.e, t) })
	j := i
	for j < len(set) && set[j].s <= e {
		j++
	}
	if i == j {
		*x = slices.Insert(set, i, iv{s, e})
		return
	}
	merged := iv{min(s, set[i].s), max(e, set[j-1].e)}
	set[i] = merged
	*x = slices.Delete(set, i+1, j)
}

// blockedUntil returns the end of the first interval overlapping [s, e), or 0 when
// none does.
func (x ivSet) blockedUntil(s, e int64) int64 {
	i, _ := slices.BinarySearchFunc(x, s+1, func(a iv, t int64) int { return cmpInt(a.e, t) })
	if i < len(x) && x[i].s < e {
		return x[i].e
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// schedIndex is the index of one plan's working calendar, built per environment on
// first use.
type schedIndex struct {
	envs map[string]*envSched
}

// envSched holds one environment's stretches: full where its bookings reach its
// capacity, busy[svc] where a booking changes svc.
type envSched struct {
	full ivSet
	busy map[string]*ivSet
}

func newSchedIndex() *schedIndex { return &schedIndex{envs: map[string]*envSched{}} }

// env returns the environment's index, building it from c's bookings the first time.
func (x *schedIndex) env(c *Calendar, env string) *envSched {
	if es, ok := x.envs[env]; ok {
		return es
	}
	es := &envSched{busy: map[string]*ivSet{}}
	x.envs[env] = es
	var items []hit
	if ix := c.book.envs[env]; ix != nil {
		items = ix.all(nil)
	}
	for _, it := range items {
		es.addBusy(c.book.entry(it))
	}
	if capacity := c.Capacity(env); capacity > 0 && len(items) >= capacity {
		for _, sg := range overCapacity(items, minNanos, maxNanos, capacity) {
			es.full.add(sg.p, sg.q)
		}
	}
	return es
}

func (es *envSched) addBusy(it *bEntry) {
	for _, svc := range it.b.Services {
		set := es.busy[svc]
		if set == nil {
			set = &ivSet{}
			es.busy[svc] = set
		}
		set.add(it.s, it.e)
	}
}

// placed records booking b, just inserted into c.
func (x *schedIndex) placed(c *Calendar, b Booking) {
	es, ok := x.envs[b.Environment]
	if !ok {
		return // built from c's bookings, b included, when first used
	}
	it := c.book.get(b.ID)
	es.addBusy(it)
	if capacity := c.Capacity(b.Environment); capacity > 0 {
		// The count changed only over [s, e); the bookings overlapping it give it
		// exactly there (and never too high outside it).
		others := c.book.overlapping(nil, b.Environment, it.s, it.e, noSlot)
		for _, sg := range overCapacity(others, it.s, it.e, capacity) {
			es.full.add(sg.p, sg.q)
		}
	}
}

// blockedUntil returns the end of the stretch that rules out every start in [s, q)
// for a change of services spanning [s, e) (q > s), or 0 when the index rules out
// none: the environment is at capacity, or one of the services busy, somewhere in
// [s, e).
func (es *envSched) blockedUntil(services []string, capacity int, s, e int64) int64 {
	var q int64
	if capacity > 0 {
		q = es.full.blockedUntil(s, e)
	}
	for _, svc := range services {
		if set := es.busy[svc]; set != nil {
			q = max(q, set.blockedUntil(s, e))
		}
	}
	return q
}
