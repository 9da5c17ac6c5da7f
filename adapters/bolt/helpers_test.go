package bolt_test

import (
	"time"

	"github.com/releasekit/releasekit/calendar"
)

func booking(id, env string, start, end time.Time, services ...string) calendar.Booking {
	return calendar.Booking{ID: id, Environment: env, Services: services, Start: start, End: end}
}
