//go:build no_bolt

package configured

import "errors"

func openBolt(string) (Store, error) {
	return nil, errors.New("store: this binary was built without bolt (tag no_bolt)")
}
