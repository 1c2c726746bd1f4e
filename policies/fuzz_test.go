package policies

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/robfig/cron/v3"
)

// FuzzCronCheck checks the schedule helpers and the jobguard.cron.check builtin on any string:
// none panics; a schedule is valid exactly when robfig/cron's ParseStandard (what the API server
// calls) accepts it and it holds no "TZ"; NextRuns fails exactly for invalid ones and returns
// increasing times after the start; the builtin says what ScheduleErrors and ScheduleFires say.
// Seeds: the schedules below and testdata/fuzz/FuzzCronCheck.
func FuzzCronCheck(f *testing.F) {
	for _, seed := range []string{
		"0 */2 * * *", "*/5 * * * *", "0 0 30 2 *", "0 0 31 4 *", "@hourly", "@every 90s", "@every -1s",
		"@every 0s", "@yearly", "CRON_TZ=Europe/Paris 0 9 * * 1-5", "TZ=UTC 0 0 * * *", "0 0 * * MON-FRI",
		"0 0 ? JAN,DEC SUN", "60 * * * *", "0 24 * * *", "* * * * * *", "1-0 * * * *", "*/0 * * * *",
		"0 0 29 2 *", "59 23 31 12 6", "0-59/7 3-4 1-31/9 */3 0-7", "", " ", "@", "a-b/c * * * *",
	} {
		f.Add(seed)
	}
	from := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // the night European clocks go forward
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		errs := ScheduleErrors(s)
		_, parseErr := robfigParse(s)
		wantValid := s != "" && parseErr == nil && !strings.Contains(s, "TZ")
		if valid := len(errs) == 0; valid != wantValid {
			t.Fatalf("ScheduleErrors(%q) = %q, but ParseStandard says %v", s, errs, parseErr)
		}
		runs, err := NextRuns(s, paris, from, 3)
		if (err == nil) != (parseErr == nil) {
			t.Fatalf("NextRuns(%q) error %v, ParseStandard error %v", s, err, parseErr)
		}
		prev := from
		for _, r := range runs {
			if !r.After(prev) {
				t.Fatalf("NextRuns(%q) = %v: not increasing from %v", s, runs, from)
			}
			prev = r
		}
		fires := ScheduleFires(s)
		if fires && parseErr != nil {
			t.Fatalf("ScheduleFires(%q) = true for a schedule ParseStandard refuses (%v)", s, parseErr)
		}
		_ = DescribeSchedule(s)

		term, err := builtinCronCheck(rego.BuiltinContext{}, ast.StringTerm(s))
		if err != nil {
			t.Fatalf("jobguard.cron.check(%q): %v", s, err)
		}
		got, _ := term.Value.(ast.Object)
		if got == nil {
			t.Fatalf("jobguard.cron.check(%q) = %v, want an object", s, term)
		}
		var gotErrs []string
		if arr, ok := got.Get(ast.InternedTerm("errors")).Value.(*ast.Array); ok {
			arr.Foreach(func(e *ast.Term) { gotErrs = append(gotErrs, string(e.Value.(ast.String))) })
		}
		gotFires := got.Get(ast.InternedTerm("fires")).Value.Compare(ast.Boolean(true)) == 0
		// An invalid schedule is not also reported as never firing; a valid one fires unless
		// no time matches (ScheduleFires searches from now, NextRuns above from 2026).
		if !slices.Equal(gotErrs, errs) || gotFires != (len(errs) > 0 || fires) {
			t.Fatalf("jobguard.cron.check(%q) = %v, want errors %q fires %v", s, got, errs, len(errs) > 0 || fires)
		}
	})
}

// robfigParse calls ParseStandard as the API server does, its panics turned into errors.
func robfigParse(s string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return cron.ParseStandard(s)
}
