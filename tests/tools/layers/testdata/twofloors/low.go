// Package twofloors is a fixture of the layers tool: high.go uses low.go, and low.go uses one
// method of high.go back.
package twofloors

type low struct{}

func (low) base() int { return high{}.top() }
