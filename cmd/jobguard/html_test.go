package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromium is Debian's package; `make test` installs nothing, so the test skips without it.
const chromium = "/usr/bin/chromium"

// TestGoldenHTMLReportInChromium renders `lint -o html=…` of the seeds in headless Chromium, filtered
// by the address (#severity=warning), and checks the page's DOM after its script ran against
// testdata/golden/report-html-dom.txt and a screenshot's pixels: the header, the severity
// colours.
func TestGoldenHTMLReportInChromium(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s is absent: apt-get install chromium to render the HTML report", chromium)
	}
	t.Chdir("../..")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if code, _, stderr := jobguard(t, "", "lint", "--fail-on", "none", "-o", "html="+page, "testdata/seeds"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, remote := range []string{"<link", "src=", "@import", "url(", "http://", "https://"} {
		if strings.Contains(string(src), remote) {
			t.Errorf("the page is not self-contained: it holds %q", remote)
		}
	}
	url := "file://" + page + "#severity=warning"

	dom := runChromium(t, dir, "--dump-dom", url)
	doc, err := html.Parse(strings.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	got := describeDOM(doc)
	checkGolden(t, filepath.Join("testdata", "golden", "report-html-dom.txt"), got)

	shot := filepath.Join(dir, "shot.png")
	runChromium(t, dir, "--window-size=1200,900", "--screenshot="+shot, url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 900 {
		t.Errorf("screenshot is %v, want 1200x900", b)
	}
	header := color.RGBA{0x26, 0x32, 0x38, 0xff}
	warning := color.RGBA{0xb2, 0x6a, 0x00, 0xff}
	info := color.RGBA{0x15, 0x65, 0xc0, 0xff}
	if n := countColor(img, header); n < 1200*50 {
		t.Errorf("%d pixels of the header's colour, want a header band at least 50 pixels high", n)
	}
	if n := countColor(img, warning); n < 500 {
		t.Errorf("%d pixels of the warning colour: the first findings (warnings) are not drawn", n)
	}
	// The first screenful holds an info finding (job-missing-active-deadline, line 12) that the
	// filter hides: its badge and border would be the info colour.
	if n := countColor(img, info); n > 0 {
		t.Errorf("%d pixels of the info colour although #severity=warning hides info findings", n)
	}
}

// runChromium runs headless Chromium with a throwaway profile and returns its standard output.
func runChromium(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	profile, err := os.MkdirTemp(dir, "profile")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + profile}
	cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// describeDOM lists what a reader sees of the page: the summary, the filter's count, and each
// finding of the by-file view with its severity, rule, position and whether it is shown, then the
// rule groups with their explanations' first words.
func describeDOM(doc *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node, section string)
	walk = func(n *html.Node, section string) {
		if n.Type == html.ElementNode {
			switch {
			case attr(n, "id") == "summary" || attr(n, "id") == "shown":
				fmt.Fprintf(&b, "%s: %s\n", attr(n, "id"), text(n))
			case n.Data == "section":
				section = attr(n, "id")
				fmt.Fprintf(&b, "section %s\n", section)
			case hasClass(n, "group"):
				state := "shown"
				if hasAttr(n, "hidden") {
					state = "hidden"
				}
				fmt.Fprintf(&b, "  group %s%s (%s)\n", attr(n, "data-file"), attr(n, "data-rule"), state)
			case hasClass(n, "finding"):
				state := "shown"
				if hasAttr(n, "hidden") {
					state = "hidden"
				}
				lines := 0
				var marked string
				forEach(n, func(c *html.Node) {
					if c.Type == html.ElementNode && c.Data == "span" && n != c && c.Parent != nil && hasClass(c.Parent, "src") {
						lines++
						if hasClass(c, "mark") {
							marked = strings.TrimSpace(text(c))
						}
					}
				})
				pos := ""
				forEach(n, func(c *html.Node) {
					if hasClass(c, "pos") {
						pos = text(c)
					}
				})
				fmt.Fprintf(&b, "    %s %s %s %s: %d source lines, marked %q\n", state, attr(n, "data-severity"), attr(n, "data-rule"), pos, lines, marked)
				return
			case hasClass(n, "explain") && section == "by-rule" && n.Parent != nil && hasClass(n.Parent, "group"):
				words := strings.Fields(text(n))
				fmt.Fprintf(&b, "    explanation: %s\n", strings.Join(words[:min(8, len(words))], " "))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, section)
		}
	}
	walk(doc, "")
	return b.String()
}

func forEach(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		forEach(c, fn)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func hasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && strings.Contains(" "+attr(n, "class")+" ", " "+class+" ")
}

func text(n *html.Node) string {
	var b strings.Builder
	forEach(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

func countColor(img image.Image, want color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, want.R) && near(g, want.G) && near(bl, want.B) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want uint8) bool {
	d := int(v>>8) - int(want)
	return d >= -6 && d <= 6
}
