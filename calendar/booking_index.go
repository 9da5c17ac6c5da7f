package calendar

import (
	"cmp"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// The booking index keeps each environment's bookings, split by length class
// (lengths within a factor of four of each other share a class), each class a run
// sorted by (start, ID). A query looks back from its start only by the longest
// booking of each class, so one 300-day booking makes the queries scan its own
// class's few bookings further back, not every booking of the last 300 days.
//
// A run is a list of chunks of at most chunkMax entries, so that an insert in random
// order costs O(log n + chunkMax), not O(n). An entry (a hit) holds the booking's
// start and end, a fingerprint of its services and the slot of its *bEntry, and no
// pointer: the runs are plain memory that the garbage collector does not scan and
// that an insert moves without write barriers. A query reads only the runs' entries;
// it follows a slot to the booking only for an entry it reports, when fingerprints
// say two bookings may share a service, and to break a tie between equal starts.

// bEntry is one stored booking: its own copy of the Booking, its interval in Unix
// nanoseconds, the fingerprint of its services and its slot in bookingIndex.slots.
// It never changes once stored, so clones of an index share it.
type bEntry struct {
	b    Booking
	s, e int64
	fp   uint32
	slot uint32
	// one holds the service of a booking of one service, so that storing it takes
	// one allocation, not two; b.Services then points into it.
	one [1]string
}

// hit is a booking as a run keeps it and a query returns it.
type hit struct {
	s, e int64
	fp   uint32
	slot uint32
}

// noSlot is the slot of no booking: a query that skips noSlot skips none.
const noSlot = ^uint32(0)

var fpSeed = maphash.MakeSeed()

// servicesFP returns a 32-bit Bloom filter of the service names, two distinct bits a
// name: bookings whose fingerprints share no bit share no service (see mayShare).
func servicesFP(services []string) uint32 {
	var fp uint32
	for _, s := range services {
		h := maphash.String(fpSeed, s)
		b := h & 31
		fp |= 1<<b | 1<<((b+1+(h>>5)%31)&31) // the second bit is never the first
	}
	return fp
}

// mayShare reports whether a booking whose services have fingerprint fp may share
// one with a booking of fingerprint other; one says the first booking has a single
// service, whose bits must then all be in other. A booking of one service passes
// that test against about 1 in 500 bookings of another single service (1 in 32 with
// one bit a name and the test that the two share a bit).
func mayShare(fp, other uint32, one bool) bool {
	if one {
		return fp&^other == 0
	}
	return fp&other != 0
}

// The index finds a booking by ID through a 64-bit hash of the ID, in ids: an
// open-addressing table of 8-byte cells, each holding 32 bits of a stored ID's hash
// and its slot. Book looks up an ID that is not stored yet: the probe reads cells
// from the ID's home cell to the first empty one, usually in one cache line, and
// reads no ID string unless a cell holds the same 32 bits of hash. The table keeps
// at most 4 cells in 5 filled, so it takes 10 to 20 bytes a booking, against about
// 26 for a map[uint64]uint32, and grows without reading the ID strings again,
// which lie scattered in memory.
type bookingIndex struct {
	ids   idTable
	envs  map[string]*envIndex // by environment
	slots []*bEntry            // by slot; nil where free
	free  []uint32             // free slots
	n     int                  // bookings
	mask  uint64               // masks the ID hashes: all ones, narrower in tests to make IDs collide
}

var idSeed = maphash.MakeSeed()

// idHash returns the hash of id, which x.idHash masks.
func idHash(id string) uint64 { return maphash.String(idSeed, id) }

// idHash returns the hash the index finds id by.
func (x *bookingIndex) idHash(id string) uint64 { return idHash(id) & x.mask }

// lookup returns the slot of the booking called id, whose hash is h, or noSlot.
func (x *bookingIndex) lookup(h uint64, id string) uint32 {
	t := &x.ids
	if t.n == 0 {
		return noSlot
	}
	k, m := idKey(h), uint32(len(t.cells)-1)
	for i := k & m; ; i = (i + 1) & m {
		c := t.cells[i]
		if c == 0 {
			return noSlot
		}
		if uint32(c>>32) == k {
			if slot := uint32(c) - 1; x.slots[slot].b.ID == id {
				return slot
			}
		}
	}
}

// idTable is a linear-probing hash table of cells k<<32 | slot+1, k being idKey of
// the ID's hash; 0 is an empty cell. A cell's home is k masked to the table's size.
type idTable struct {
	cells []uint64 // a power of two long, or empty
	n     int      // cells filled
}

// home returns the cell where a probe for hash h starts, 0 when that is empty.
func (t *idTable) home(h uint64) uint64 {
	if len(t.cells) == 0 {
		return 0
	}
	return t.cells[idKey(h)&uint32(len(t.cells)-1)]
}

// idKey folds an ID's hash to the 32 bits a cell keeps.
func idKey(h uint64) uint32 { return uint32(h) ^ uint32(h>>32) }

func idCell(k, slot uint32) uint64 { return uint64(k)<<32 | uint64(slot+1) }

// add files slot under hash h.
func (t *idTable) add(h uint64, slot uint32) {
	if (t.n+1)*5 > len(t.cells)*4 {
		t.grow()
	}
	t.n++
	t.put(idCell(idKey(h), slot))
}

// put stores cell c in the first empty cell from its home; there must be one.
func (t *idTable) put(c uint64) {
	m := uint32(len(t.cells) - 1)
	i := uint32(c>>32) & m
	for t.cells[i] != 0 {
		i = (i + 1) & m
	}
	t.cells[i] = c
}

func (t *idTable) grow() {
	old := t.cells
	t.cells = make([]uint64, max(2*len(old), 8))
	for _, c := range old {
		if c != 0 {
			t.put(c)
		}
	}
}

// remove drops slot, filed under hash h, and moves later cells of its probe
// sequence back so that no lookup stops early at the cell it leaves empty.
func (t *idTable) remove(h uint64, slot uint32) {
	if t.n == 0 {
		return
	}
	want, m := idCell(idKey(h), slot), uint32(len(t.cells)-1)
	i := idKey(h) & m
	for t.cells[i] != want {
		if t.cells[i] == 0 {
			return
		}
		i = (i + 1) & m
	}
	t.n--
	for j := i; ; {
		j = (j + 1) & m
		c := t.cells[j]
		if c == 0 {
			break
		}
		// c may fill the hole at i unless its home lies after i, up to j.
		if home := uint32(c>>32) & m; (j-home)&m >= (j-i)&m {
			t.cells[i], i = c, j
		}
	}
	t.cells[i] = 0
}

// get returns the booking called id, or nil.
func (x *bookingIndex) get(id string) *bEntry {
	if slot := x.lookup(x.idHash(id), id); slot != noSlot {
		return x.slots[slot]
	}
	return nil
}

// size returns the number of bookings.
func (x *bookingIndex) size() int { return x.n }

// envIndex holds one environment's bookings by length class.
type envIndex struct {
	classes []lenClass // ascending by class
	n       int
}

type lenClass struct {
	class int
	run   *run
}

// length returns e-s of a booking (e > s) without overflow: a booking from 1900 to
// 2200 is longer than an int64 of nanoseconds holds.
func length(s, e int64) uint64 { return uint64(e) - uint64(s) }

// lengthClass returns the class of a booking of length d nanoseconds.
func lengthClass(d uint64) int { return bits.Len64(max(d, 1)) / 2 }

// lookBack returns s-d, or math.MinInt64 where that would overflow.
func lookBack(s int64, d uint64) int64 {
	if d > uint64(s)+1<<63 { // uint64(s)+1<<63 is s - math.MinInt64
		return math.MinInt64
	}
	return int64(uint64(s) - d)
}

// run is a list of hits sorted by (start, ID), in chunks of at most chunkMax.
// tails[i] is the start of chunks[i]'s last entry.
type run struct {
	chunks [][]hit // each sorted and non-empty; chunk i's entries precede chunk i+1's
	tails  []int64
	maxLen uint64 // the longest entry's length (see length)
	n      int
}

const chunkMax = 128

func newBookingIndex() *bookingIndex {
	return &bookingIndex{envs: map[string]*envIndex{}, mask: ^uint64(0)}
}

func (x *bookingIndex) clone() *bookingIndex {
	y := &bookingIndex{ids: idTable{cells: slices.Clone(x.ids.cells), n: x.ids.n}, envs: make(map[string]*envIndex, len(x.envs)),
		slots: slices.Clone(x.slots), free: slices.Clone(x.free), n: x.n, mask: x.mask}
	for k, v := range x.envs {
		ix := &envIndex{classes: make([]lenClass, len(v.classes)), n: v.n}
		for i, c := range v.classes {
			ix.classes[i] = lenClass{class: c.class, run: c.run.clone()}
		}
		y.envs[k] = ix
	}
	return y
}

// entry returns the booking h stands for.
func (x *bookingIndex) entry(h hit) *bEntry { return x.slots[h.slot] }

// slotOf returns the slot of the booking called id, or noSlot when there is none.
func (x *bookingIndex) slotOf(id string) uint32 { return x.lookup(x.idHash(id), id) }

// cmpHit orders hits by start, then ID.
func (x *bookingIndex) cmpHit(a, b hit) int {
	if a.s != b.s {
		return cmp.Compare(a.s, b.s)
	}
	return strings.Compare(x.slots[a.slot].b.ID, x.slots[b.slot].b.ID)
}

// insert adds b, whose ID must not be stored yet.
func (x *bookingIndex) insert(b Booking) { x.insertHashed(b, x.idHash(b.ID), servicesFP(b.Services)) }

// insertHashed adds b, whose ID must not be stored yet; h is x.idHash(b.ID) and fp
// servicesFP(b.Services).
func (x *bookingIndex) insertHashed(b Booking, h uint64, fp uint32) {
	p := &bEntry{b: b, s: nanos(b.Start), e: nanos(b.End), fp: fp}
	if len(b.Services) == 1 {
		p.one[0] = b.Services[0]
		p.b.Services = p.one[:]
	} else {
		p.b.Services = slices.Clone(b.Services)
	}
	if n := len(x.free); n > 0 {
		p.slot, x.free = x.free[n-1], x.free[:n-1]
		x.slots[p.slot] = p
	} else {
		p.slot = uint32(len(x.slots))
		x.slots = append(x.slots, p)
	}
	x.ids.add(h, p.slot)
	x.n++
	ix := x.envs[b.Environment]
	if ix == nil {
		ix = &envIndex{}
		x.envs[b.Environment] = ix
	}
	ix.n++
	cl := lengthClass(length(p.s, p.e))
	i, found := slices.BinarySearchFunc(ix.classes, cl, func(c lenClass, t int) int { return cmp.Compare(c.class, t) })
	if !found {
		ix.classes = slices.Insert(ix.classes, i, lenClass{class: cl, run: &run{}})
	}
	ix.classes[i].run.insert(x, hit{p.s, p.e, p.fp, p.slot})
}

func (x *bookingIndex) remove(id string) bool {
	h := x.idHash(id)
	slot := x.lookup(h, id)
	if slot == noSlot {
		return false
	}
	p := x.slots[slot]
	x.ids.remove(h, slot)
	x.n--
	ix := x.envs[p.b.Environment]
	cl := lengthClass(length(p.s, p.e))
	if i, found := slices.BinarySearchFunc(ix.classes, cl, func(c lenClass, t int) int { return cmp.Compare(c.class, t) }); found {
		r := ix.classes[i].run
		r.remove(x, hit{p.s, p.e, p.fp, p.slot})
		if r.n == 0 {
			ix.classes = slices.Delete(ix.classes, i, i+1)
		}
	}
	if ix.n--; ix.n == 0 {
		delete(x.envs, p.b.Environment)
	}
	x.slots[p.slot] = nil
	x.free = append(x.free, p.slot)
	return true
}

// overlapping appends to dst the bookings of env overlapping [s, e), except the one
// in slot skip, ordered by start and ID. It costs O(log N + M), M being the bookings
// that start, before s, within the longest length of their own length class.
func (x *bookingIndex) overlapping(dst []hit, env string, s, e int64, skip uint32) []hit {
	ix := x.envs[env]
	if ix == nil {
		return dst
	}
	start := len(dst)
	for i, c := range ix.classes {
		mid := len(dst)
		dst = c.run.scan(dst, s, e, skip)
		if i == 0 || mid == start || mid == len(dst) {
			continue
		}
		// Merge this class's sorted entries into the ones before: usually a few
		// long bookings among many short ones, so insert them one by one.
		if len(dst)-mid > 8 {
			slices.SortFunc(dst[start:], x.cmpHit)
			continue
		}
		for k := mid; k < len(dst); k++ {
			h, j := dst[k], k
			for ; j > start && x.cmpHit(dst[j-1], h) > 0; j-- {
				dst[j] = dst[j-1]
			}
			dst[j] = h
		}
	}
	return dst
}

// all appends the environment's bookings to dst, in no particular order.
func (ix *envIndex) all(dst []hit) []hit {
	for _, c := range ix.classes {
		for _, ch := range c.run.chunks {
			dst = append(dst, ch...)
		}
	}
	return dst
}

func (r *run) clone() *run {
	y := &run{chunks: make([][]hit, len(r.chunks)), tails: slices.Clone(r.tails), maxLen: r.maxLen, n: r.n}
	for i, ch := range r.chunks {
		y.chunks[i] = slices.Clone(ch)
	}
	return y
}

// tailsFrom returns the index of the first of ts (sorted) not less than v.
func tailsFrom(ts []int64, v int64) int {
	lo, hi := 0, len(ts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ts[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// startsFrom returns the index of the first of ch (sorted by start) starting at or
// after v.
func startsFrom(ch []hit, v int64) int {
	lo, hi := 0, len(ch)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ch[m].s < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// chunkFor returns the chunk h belongs in: the first whose last entry is not before
// h, or the last chunk. The run must not be empty.
func (r *run) chunkFor(x *bookingIndex, h hit) int {
	i := tailsFrom(r.tails, h.s)
	for i < len(r.tails) && r.tails[i] == h.s {
		ch := r.chunks[i]
		if x.cmpHit(ch[len(ch)-1], h) >= 0 {
			break
		}
		i++
	}
	return min(i, len(r.chunks)-1)
}

// position returns where h is, or would go, in ch.
func position(x *bookingIndex, ch []hit, h hit) int {
	j := startsFrom(ch, h.s)
	for j < len(ch) && ch[j].s == h.s && ch[j].slot != h.slot && x.cmpHit(ch[j], h) < 0 {
		j++
	}
	return j
}

func (r *run) insert(x *bookingIndex, h hit) {
	r.n++
	r.maxLen = max(r.maxLen, length(h.s, h.e))
	if len(r.chunks) == 0 {
		r.chunks, r.tails = [][]hit{{h}}, []int64{h.s}
		return
	}
	ci := r.chunkFor(x, h)
	ch := r.chunks[ci]
	if len(ch) == cap(ch) {
		// Grow by doubling, to at most chunkMax+1 entries: a chunk's array then
		// lasts until the chunk splits, and each half keeps one of that size.
		ch = append(make([]hit, 0, min(max(2*cap(ch), 4), chunkMax+1)), ch...)
	}
	ch = slices.Insert(ch, position(x, ch, h), h)
	r.chunks[ci], r.tails[ci] = ch, ch[len(ch)-1].s
	if len(ch) > chunkMax {
		half := len(ch) / 2
		hi := append(make([]hit, 0, chunkMax+1), ch[half:]...)
		r.chunks[ci], r.tails[ci] = ch[:half], ch[half-1].s
		r.chunks = slices.Insert(r.chunks, ci+1, hi)
		r.tails = slices.Insert(r.tails, ci+1, ch[len(ch)-1].s)
	}
}

func (r *run) remove(x *bookingIndex, h hit) {
	if len(r.chunks) == 0 {
		return
	}
	ci := r.chunkFor(x, h)
	ch := r.chunks[ci]
	j := position(x, ch, h)
	if j == len(ch) || ch[j].slot != h.slot {
		return
	}
	r.n--
	if ch = slices.Delete(ch, j, j+1); len(ch) == 0 {
		r.chunks = slices.Delete(r.chunks, ci, ci+1)
		r.tails = slices.Delete(r.tails, ci, ci+1)
	} else {
		r.chunks[ci], r.tails[ci] = ch, ch[len(ch)-1].s
	}
	if length(h.s, h.e) == r.maxLen {
		r.maxLen = 0
		for _, ch := range r.chunks {
			for _, it := range ch {
				r.maxLen = max(r.maxLen, length(it.s, it.e))
			}
		}
	}
}

// scan appends to dst the entries overlapping [s, e), except the one in slot skip,
// in order.
func (r *run) scan(dst []hit, s, e int64, skip uint32) []hit {
	// An entry starting at or before s-maxLen ends by s: scan from the first after it.
	from := lookBack(s, r.maxLen)
	if from > math.MinInt64 {
		from++
	}
	ci := tailsFrom(r.tails, from)
	if ci == len(r.chunks) {
		return dst
	}
	ch := r.chunks[ci]
	ch = ch[startsFrom(ch, from):]
	for {
		for _, it := range ch {
			if it.s >= e {
				return dst
			}
			if it.e > s && it.slot != skip {
				dst = append(dst, it)
			}
		}
		// Every entry of the later chunks starts after this chunk's last, so after from.
		if ci++; ci == len(r.chunks) {
			return dst
		}
		ch = r.chunks[ci]
	}
}
