package sim

import (
	"testing"
)

func TestRoutesDefault(t *testing.T) {
	res, err := RunRoutes(DefaultRoutesConfig())
	t.Log(res.Summary())
	if err != nil {
		t.Fatal(err)
	}
}
