package policies

import "testing"

func TestDescribeSchedule(t *testing.T) {
	for schedule, want := range map[string]string{
		"0 */2 * * *":       "at minute 0 of every 2nd hour",
		"*/15 * * * *":      "at every 15th minute of every hour",
		"0 0 * * *":         "at minute 0 of hour 0",
		"30 9 * * 1-5":      "at minute 30 of hour 9, on Monday through Friday",
		"0 0 30 2 *":        "at minute 0 of hour 0, on day-of-month 30, in February",
		"0 0 ? JAN-MAR SUN": "at minute 0 of hour 0, on Sunday, in January through March",
		"0 0 1,15 * 1":      "at minute 0 of hour 0, on day-of-month 1 and day-of-month 15, or on Monday",
		"* * * * *":         "every minute",
		"@hourly":           "once an hour, at minute 0",
		"@every 5m":         "every 5m after the controller first sees it",
	} {
		if got := DescribeSchedule(schedule); got != want {
			t.Errorf("%q: %q, want %q", schedule, got, want)
		}
	}
}
