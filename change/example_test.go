package change_test

import (
	"errors"
	"fmt"

	"github.com/releasekit/releasekit/change"
)

// Reading a class from a flag or a form: the empty text is a normal change, a typo is
// an error that says what to write instead.
func ExampleParse() {
	for _, in := range []string{"Emergency", "", "urgent"} {
		c, err := change.Parse(in)
		if errors.Is(err, change.ErrInvalidClass) {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%q is %s\n", in, c)
	}
	// Output:
	// "Emergency" is emergency
	// "" is normal
	// change: "urgent" is not a change class; use one of standard, normal or emergency (empty means normal)
}
