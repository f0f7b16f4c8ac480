package standin

import (
	"slices"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

// Group message frequency control.
//
// IM delivers at most GroupMessagesPerSecond messages to a group per second; beyond that it
// delivers higher priorities first and drops the rest, telling their senders they succeeded.
// The stand-in models this with ticks: the first message to reach an idle group starts a tick
// (a tenth of a second); the messages that arrive during it are then delivered, highest
// priority first and in arrival order within a priority, as long as the group has delivered
// fewer than GroupMessagesPerSecond messages in the sliding second that ends then. The rest are
// dropped: neither delivered nor stored, and answered with MsgDropReason "MsgFreqCtrl" and
// MsgSeq 0.

// pendingMsg is a message waiting for the end of its group's tick.
type pendingMsg struct {
	o    outgoing
	done chan pendingResult // buffered: the flush never waits for the sender
}

type pendingResult struct {
	res sendResult
	err *imError
}

// enqueue hands o to its group's frequency control and waits for the outcome.
func (im *IM) enqueue(o outgoing) (sendResult, *imError) {
	p := &pendingMsg{o: o, done: make(chan pendingResult, 1)}
	im.mu.Lock()
	if im.closed {
		im.mu.Unlock()
		return sendResult{}, errClosed
	}
	g, e := im.groupLocked(o.groupID)
	if e != nil {
		im.mu.Unlock()
		return sendResult{}, e
	}
	if im.cfg.GroupMessagesPerSecond < 0 {
		res := im.deliverLocked(g, o)
		im.mu.Unlock()
		return res, nil
	}
	g.pending = append(g.pending, p)
	if g.timer == nil {
		g.timer = time.AfterFunc(im.tick, func() { im.flush(g) })
	}
	im.mu.Unlock()
	select {
	case r := <-p.done:
		return r.res, r.err
	case <-im.ctx.Done():
		return sendResult{}, errClosed
	}
}

// flush ends g's tick: it delivers the gathered messages that fit in the second's budget,
// highest priority first, and drops the others.
func (im *IM) flush(g *group) {
	im.mu.Lock()
	defer im.mu.Unlock()
	g.timer = nil
	batch := g.pending
	g.pending = nil
	if len(batch) == 0 {
		return
	}
	slices.SortStableFunc(batch, func(a, b *pendingMsg) int {
		return priorityRank[a.o.priority] - priorityRank[b.o.priority]
	})
	now := im.now()
	budget := im.cfg.GroupMessagesPerSecond - g.recent.count(now)
	for i, p := range batch {
		if i < budget {
			p.done <- pendingResult{res: im.deliverLocked(g, p.o)}
			continue
		}
		im.log.Debug("message dropped by frequency control", "group", g.id, "from", p.o.from, "priority", p.o.priority)
		p.done <- pendingResult{res: sendResult{time: now, dropReason: dropFrequency}}
	}
}

// abandonPendingLocked answers every message waiting in g's tick with e.
func (im *IM) abandonPendingLocked(g *group, e *imError) {
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	for _, p := range g.pending {
		p.done <- pendingResult{err: e}
	}
	g.pending = nil
}

// deliverLocked gives o its MsgSeq, stores it, sends it to the members' streams and reports
// it to the AfterSendMsg callback in the background.
func (im *IM) deliverLocked(g *group, o outgoing) sendResult {
	now := im.now()
	g.seq++
	im.changedLocked()
	m := Message{
		GroupID:         g.id,
		Seq:             g.seq,
		Time:            now,
		From:            o.from,
		Random:          o.random,
		Priority:        o.priority,
		Body:            o.body,
		CloudCustomData: o.cloudCustomData,
	}
	g.history = append(g.history, m)
	if len(g.history) > historyLimit+historyLimit/10 {
		g.history = slices.Clone(g.history[len(g.history)-historyLimit:])
	}
	if im.cfg.GroupMessagesPerSecond >= 0 {
		g.recent.add(now)
	}
	im.fanoutMessageLocked(g, m)
	if im.callbacksOn() && !o.skipAfter {
		cb := im.sendMsgCallback(tim.CmdAfterSendMsg, o)
		cb.MsgSeq, cb.MsgTime = m.Seq, now.Unix()
		im.goAsyncLocked(func() { im.notify(tim.CmdAfterSendMsg, o.meta, cb) })
	}
	return sendResult{seq: m.Seq, time: now}
}
