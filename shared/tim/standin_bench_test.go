package tim_test

import (
	"context"
	"testing"

	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/standin/standintest"
	"github.com/uriba-live/uriba/shared/tim"
)

// BenchmarkClientAgainstStandIn measures the client against the IM stand-in on loopback, with the
// stand-in's rate limits lifted, and reports how many TCP connections the client has opened so far (keep-alive keeps it low).
func BenchmarkClientAgainstStandIn(b *testing.B) {
	s := standintest.Start(b, standin.Config{RESTCallsPerSecond: -1, GroupMessagesPerSecond: -1})
	s.Import(b, "viewer_1")
	s.CreateRooms(b, "room-bench")
	c, ctx := s.Client, context.Background()
	calls := map[string]func() error{
		"get_group_info": func() error {
			_, err := c.GetGroupInfo(ctx, tim.GetGroupInfoRequest{GroupIDList: []string{"room-bench"}})
			return err
		},
		"send_group_msg": func() error {
			_, err := c.SendGroupMsg(ctx, tim.SendGroupMsgRequest{GroupID: "room-bench", FromAccount: "viewer_1",
				MsgPriority: tim.PriorityLow, MsgBody: []tim.MsgElem{tim.CustomElem("LIKE", `{"count":1}`)}})
			return err
		},
	}
	for _, name := range []string{"get_group_info", "send_group_msg"} {
		call := calls[name]
		b.Run(name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			b.ReportMetric(float64(s.NewConns()), "conns-opened")
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := call(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			b.ReportMetric(float64(s.NewConns()), "conns-opened")
		})
	}
}
