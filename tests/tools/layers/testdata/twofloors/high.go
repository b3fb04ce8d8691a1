package twofloors

type high struct{ l low }

func (h high) top() int { return 1 }

func (h high) use() int { return h.l.base() + h.l.base() }
