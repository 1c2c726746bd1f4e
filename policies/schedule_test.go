package policies

import (
	"strings"
	"testing"
	"time"
)

func TestScheduleErrors(t *testing.T) {
	tests := []struct {
		schedule string
		want     string // substring of the first error; "" for valid
	}{
		{"0 */2 * * *", ""},
		{"@hourly", ""},
		{"@every 5m", ""},
		{"0 0 ? * MON", ""},
		{"0 0 * JAN-MAR SUN", ""},
		{"0 0 30 2 *", ""}, // valid, never fires: another rule's business
		{"", "Required value"},
		{"* * * * * *", "expected exactly 5 fields, found 6"},
		{"60 * * * *", "end of range (60) above maximum (59)"},
		{"CRON_TZ=Asia/Seoul 0 0 * * *", "cannot use TZ or CRON_TZ in schedule"},
		{"TZ=UTC 0 * * * *", "cannot use TZ or CRON_TZ in schedule"},
		{"@fortnightly", "unrecognized descriptor"},
	}
	for _, tt := range tests {
		errs := ScheduleErrors(tt.schedule)
		switch {
		case tt.want == "" && len(errs) > 0:
			t.Errorf("%q: unexpected errors %v", tt.schedule, errs)
		case tt.want != "" && (len(errs) == 0 || !strings.Contains(strings.Join(errs, "; "), tt.want)):
			t.Errorf("%q: errors %v, want one containing %q", tt.schedule, errs, tt.want)
		}
	}
}

func TestNextRuns(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	from := time.Date(2026, 11, 22, 10, 30, 0, 0, seoul)
	runs, err := NextRuns("0 */2 * * *", seoul, from, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-22T12:00:00+09:00", "2026-11-22T14:00:00+09:00", "2026-11-22T16:00:00+09:00"}
	for i, r := range runs {
		if r.Format(time.RFC3339) != want[i] {
			t.Errorf("run %d = %s, want %s", i, r.Format(time.RFC3339), want[i])
		}
	}
	if ScheduleFires("0 0 30 2 *") || ScheduleFires("0 0 31 4 *") || !ScheduleFires("0 0 29 2 *") {
		t.Error("ScheduleFires is wrong about February 30, April 31 or February 29")
	}
}

func TestTimeZoneErrors(t *testing.T) {
	for _, ok := range []string{"Asia/Seoul", "UTC", "Etc/GMT+9", "America/Argentina/Buenos_Aires"} {
		if errs := TimeZoneErrors(ok); len(errs) > 0 {
			t.Errorf("%s: %v", ok, errs)
		}
	}
	for zone, want := range map[string]string{
		"":             "must be nil or non-empty",
		"Local":        "explicit time zone",
		"Mars/Olympus": "unknown time zone Mars/Olympus",
		"../etc":       "unknown time zone",
		"Asia/Soeul":   "unknown time zone",
	} {
		if errs := TimeZoneErrors(zone); len(errs) == 0 || !strings.Contains(strings.Join(errs, "; "), want) {
			t.Errorf("%q: %v, want %q", zone, errs, want)
		}
	}
}
