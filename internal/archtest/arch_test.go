package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/blockwire/blockwire"

// allowed lists, for each package tree (by path prefix, longest match wins),
// the trees of ours it may import (DESIGN.md §1: arrows point down only;
// node → consensus, blocksync, transport → link, chain, forkdb). Every
// package may import internal/ packages and its own subpackages.
var allowed = map[string][]string{
	"chain/block": {},
	"forkdb":      {"chain/block"},
	"chain":       {"chain/block", "forkdb"},
	"link":        {},
	"blocksync":   {"chain/block", "forkdb"},
	"transport":   {"link", "chain/block", "forkdb"},
	"consensus":   {"chain", "forkdb", "blocksync", "transport", "link"},
	"sim":         {"chain", "forkdb", "blocksync", "transport", "consensus"},
	"node":        {"chain", "forkdb", "blocksync", "transport", "consensus", "link"},
	"cmd":         {"chain", "forkdb", "blocksync", "transport", "consensus", "link", "node", "sim"},
	"examples":    {"chain", "forkdb", "blocksync", "transport", "consensus", "link", "node"},
	"internal":    {},
}

// stdlibOnly packages may import nothing outside the standard library and
// this module: they are the small shared core every layer links.
var stdlibOnly = []string{"chain/block", "chain/txpool", "forkdb", "blocksync", "consensus/bft", "consensus/bftchain", "consensus/quorum", "consensus/prodset", "consensus/prodapp", "transport/route", "transport/submit", "transport/broadcast", "transport/rbc", "consensus/attest", "internal/topology", "internal/netview", "internal/fanout", "internal/reason", "link/pex"}

// pure packages are protocol cores (DESIGN.md §2): no wall clock, sleeping,
// goroutines, global randomness, or direct I/O.
var pure = []string{"chain/block", "chain/genesis", "chain/txpool", "forkdb", "blocksync", "consensus/bft", "consensus/bftchain", "consensus/quorum", "consensus/prodset", "consensus/prodapp", "transport/route", "transport/submit", "transport/broadcast", "transport/rbc", "node/relay", "node/config", "node/producers", "node/status", "consensus/attest", "internal/topology", "internal/netview", "internal/reason", "link/pex"}

// pureFiles are pure cores that live inside a driver package: the files
// of link's session core (link/core.go says why it stays in link).
var pureFiles = []string{"link/core.go", "link/core_recv.go", "link/control.go", "link/stall.go",
	"link/credit.go", "link/sched.go", "link/frame.go", "link/ratelimit.go"}

var forbiddenInPure = map[string]map[string]bool{
	"time": {"Now": true, "Sleep": true, "After": true, "AfterFunc": true, "NewTimer": true,
		"NewTicker": true, "Tick": true, "Since": true, "Until": true},
	// Global randomness; constructors such as rand.New are fine.
	"math/rand":    {"Int": true, "Intn": true, "Int63": true, "Uint64": true, "Float64": true, "Perm": true, "Shuffle": true, "Seed": true, "Read": true},
	"math/rand/v2": {"Int": true, "IntN": true, "Int64": true, "Uint64": true, "Uint32": true, "Float64": true, "Perm": true, "Shuffle": true, "N": true},
}

var forbiddenImportsInPure = []string{"os", "net", "syscall", "crypto/rand", "os/exec", "net/http"}

type goFile struct {
	pkg  string // package dir relative to the module root, slash-separated
	path string
	ast  *ast.File
	fset *token.FileSet
}

func TestImportsFollowTheLayering(t *testing.T) {
	for _, f := range moduleFiles(t) {
		tree := longestPrefix(f.pkg, keys(allowed))
		if tree == "" {
			continue
		}
		for _, imp := range imports(f) {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			target := strings.TrimPrefix(imp, module+"/")
			if within(target, f.pkg) || within(target, tree) || within(target, "internal") {
				continue
			}
			if !withinAny(target, allowed[tree]) {
				t.Errorf("%s imports %s: %s may import only %v (DESIGN.md §1)", f.path, target, tree, allowed[tree])
			}
		}
	}
}

func TestCorePackagesUseOnlyTheStandardLibrary(t *testing.T) {
	for _, f := range moduleFiles(t) {
		if !withinAny(f.pkg, stdlibOnly) || strings.HasSuffix(f.path, "_test.go") {
			continue
		}
		for _, imp := range imports(f) {
			first := strings.Split(imp, "/")[0]
			if strings.Contains(first, ".") && !strings.HasPrefix(imp, module+"/") {
				t.Errorf("%s imports %s: %s must use only the standard library", f.path, imp, f.pkg)
			}
		}
	}
}

func TestPureCoresTakeNoClockSleepGoroutineOrGlobalRand(t *testing.T) {
	seen := 0
	for _, f := range moduleFiles(t) {
		if isPureFile(f) {
			seen++
		}
		if !withinAny(f.pkg, pure) && !isPureFile(f) || strings.HasSuffix(f.path, "_test.go") {
			continue
		}
		for _, v := range pureViolations(f) {
			t.Error(v)
		}
	}
	if seen != len(pureFiles) {
		t.Errorf("found %d of the %d pureFiles %v: a renamed core file would go unchecked", seen, len(pureFiles), pureFiles)
	}
}

func isPureFile(f goFile) bool {
	for _, p := range pureFiles {
		if f.pkg+"/"+filepath.Base(f.path) == p {
			return true
		}
	}
	return false
}

// pureViolations lists what in f breaks DESIGN.md §2's purity rule.
func pureViolations(f goFile) []string {
	var out []string
	names := map[string]string{} // local import name -> import path
	for _, spec := range f.ast.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		for _, bad := range forbiddenImportsInPure {
			if p == bad {
				out = append(out, fmt.Sprintf("%s imports %s: pure cores do no I/O (DESIGN.md §2)", f.path, p))
			}
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if p == "math/rand/v2" {
			name = "rand"
		}
		if spec.Name != nil {
			name = spec.Name.Name
		}
		names[name] = p
	}
	ast.Inspect(f.ast, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			out = append(out, fmt.Sprintf("%s: pure cores start no goroutines (DESIGN.md §2)", f.fset.Position(n.Pos())))
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				break
			}
			if bad := forbiddenInPure[names[id.Name]]; bad[n.Sel.Name] {
				out = append(out, fmt.Sprintf("%s: %s.%s in a pure core: time and randomness are inputs (DESIGN.md §2)",
					f.fset.Position(n.Pos()), names[id.Name], n.Sel.Name))
			}
		}
		return true
	})
	return out
}

// TestTheRulesCatchViolations keeps the checks above honest: a rule that
// matches nothing would pass forever.
func TestTheRulesCatchViolations(t *testing.T) {
	if got := longestPrefix("forkdb", keys(allowed)); got != "forkdb" {
		t.Fatalf("forkdb maps to %q", got)
	}
	if withinAny("link", allowed["forkdb"]) {
		t.Fatal("forkdb may not import link")
	}
	if !within("consensus/cft", "consensus") || within("chainx", "chain") {
		t.Fatal("prefix matching is wrong")
	}
	src := "package p\nimport (\"os\"; \"time\"; r \"math/rand/v2\")\n" +
		"func f() { go f(); _ = time.Now(); _ = r.IntN(3); _ = r.New(nil); _ = time.Duration(1); _ = os.Args }\n"
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := pureViolations(goFile{pkg: "forkdb", path: "p.go", ast: af, fset: fset}); len(got) != 4 {
		t.Fatalf("want 4 violations (os import, go, time.Now, rand.IntN), got %d: %v", len(got), got)
	}
	if len(moduleFiles(t)) < 10 {
		t.Fatal("the walk found too few files; is the module root right?")
	}
}

func moduleFiles(t *testing.T) []goFile {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	var files []goFile
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		af, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		files = append(files, goFile{pkg: filepath.ToSlash(rel), path: path, ast: af, fset: fset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func imports(f goFile) []string {
	var out []string
	for _, spec := range f.ast.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		out = append(out, p)
	}
	return out
}

func within(pkg, tree string) bool { return pkg == tree || strings.HasPrefix(pkg, tree+"/") }

func withinAny(pkg string, trees []string) bool {
	for _, tr := range trees {
		if within(pkg, tr) {
			return true
		}
	}
	return false
}

func longestPrefix(pkg string, trees []string) string {
	best := ""
	for _, tr := range trees {
		if within(pkg, tr) && len(tr) > len(best) {
			best = tr
		}
	}
	return best
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
