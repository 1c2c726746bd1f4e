package policies

import (
	"fmt"
	"strconv"
	"strings"
)

// DescribeSchedule reads a valid cron schedule in plain English, for `jobguard schedule`:
// "0 */2 * * *" is "at minute 0 of every 2nd hour". It describes, it does not validate.
func DescribeSchedule(schedule string) string {
	switch s := strings.TrimSpace(schedule); {
	case s == "@yearly" || s == "@annually":
		return "once a year, at midnight on January 1"
	case s == "@monthly":
		return "once a month, at midnight on the 1st"
	case s == "@weekly":
		return "once a week, at midnight between Saturday and Sunday"
	case s == "@daily" || s == "@midnight":
		return "once a day, at midnight"
	case s == "@hourly":
		return "once an hour, at minute 0"
	case strings.HasPrefix(s, "@every "):
		return "every " + strings.TrimPrefix(s, "@every ") + " after the controller first sees it"
	}
	f := strings.Fields(schedule)
	if len(f) != 5 {
		return schedule
	}
	minute, hour, dom, month, dow := f[0], f[1], f[2], f[3], f[4]
	var parts []string
	switch {
	case minute == "*" && hour == "*":
		parts = append(parts, "every minute")
	case minute == "*":
		parts = append(parts, "every minute of "+field(hour, "hour", nil))
	case hour == "*":
		parts = append(parts, "at "+field(minute, "minute", nil)+" of every hour")
	default:
		parts = append(parts, "at "+field(minute, "minute", nil)+" of "+field(hour, "hour", nil))
	}
	if dom != "*" && dom != "?" {
		parts = append(parts, "on "+field(dom, "day-of-month", nil))
	}
	if dow != "*" && dow != "?" {
		joiner := "on "
		if dom != "*" && dom != "?" {
			joiner = "or on " // robfig/cron, like Vixie cron, fires when either day field matches
		}
		parts = append(parts, joiner+field(dow, "weekday", weekdays))
	}
	if month != "*" && month != "?" {
		parts = append(parts, "in "+field(month, "month", months))
	}
	return strings.Join(parts, ", ")
}

var (
	weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	months   = []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// field describes one cron field: "*/2" → "every 2nd hour", "1-5" → "Monday through Friday".
func field(expr, unit string, names []string) string {
	var items []string
	for item := range strings.SplitSeq(expr, ",") {
		items = append(items, fieldItem(item, unit, names))
	}
	return strings.Join(items, " and ")
}

func fieldItem(item, unit string, names []string) string {
	rangePart, step, hasStep := strings.Cut(item, "/")
	name := func(v string) string {
		if n, err := strconv.Atoi(v); err == nil && names != nil && n >= 0 && n < len(names) && names[n] != "" {
			return names[n]
		}
		if names != nil && len(v) == 3 {
			for _, full := range names {
				if strings.EqualFold(full[:min(3, len(full))], v) {
					return full
				}
			}
		}
		if names == nil {
			return unit + " " + v
		}
		return v
	}
	var desc string
	switch lo, hi, isRange := strings.Cut(rangePart, "-"); {
	case rangePart == "*" || rangePart == "?":
		desc = "every " + unit
	case isRange:
		if names == nil {
			desc = fmt.Sprintf("%ss %s through %s", unit, lo, hi)
		} else {
			desc = name(lo) + " through " + name(hi)
		}
	default:
		desc = name(rangePart)
	}
	if hasStep {
		n, _ := strconv.Atoi(step)
		if rangePart == "*" {
			return fmt.Sprintf("every %s %s", ordinal(n), unit)
		}
		return fmt.Sprintf("every %s %s from %s", ordinal(n), unit, strings.TrimPrefix(desc, unit+" "))
	}
	return desc
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
