package result

import (
	"encoding/json"
	"math"
	"time"
)

// Seconds is a duration that encodes in JSON as a number of seconds.
type Seconds float64

// Sec converts a duration.
func Sec(d time.Duration) Seconds { return Seconds(d.Seconds()) }

// Duration converts back.
func (s Seconds) Duration() time.Duration { return time.Duration(float64(s) * float64(time.Second)) }

// MarshalJSON rounds to milliseconds.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(math.Round(float64(s)*1000) / 1000)
}
