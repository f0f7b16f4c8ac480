package tim_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/tim"
)

// BenchmarkClientAgainstStandIn measures the client against the IM stand-in on loopback, with the
// stand-in's rate limits lifted, and reports how many TCP connections the client has opened so far (keep-alive keeps it low).
func BenchmarkClientAgainstStandIn(b *testing.B) {
	const appID, key, admin = 1400000099, "bench-secret-key-0123456789abcdef", "administrator"
	im, err := standin.New(standin.Config{SDKAppID: appID, SecretKey: key, Admin: admin,
		RESTCallsPerSecond: -1, GroupMessagesPerSecond: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer im.Close()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(im.Handler())
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c, err := tim.NewClient(tim.ClientConfig{SDKAppID: appID, SecretKey: key, Admin: admin, BaseURL: srv.URL,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.AccountImport(ctx, tim.AccountImportRequest{UserID: "viewer_1"}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx, tim.CreateGroupRequest{GroupID: "room-bench", Name: "bench", Type: tim.GroupTypeAVChatRoom}); err != nil {
		b.Fatal(err)
	}
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
			b.ReportMetric(float64(conns.Load()), "conns-opened")
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
			b.ReportMetric(float64(conns.Load()), "conns-opened")
		})
	}
}
