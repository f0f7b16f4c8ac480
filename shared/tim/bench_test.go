package tim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkClientSendGroupMsg measures the client against a loopback fake that answers at once:
// the cost of the client itself, HTTP/1.1 keep-alive and loopback TCP.
func BenchmarkClientSendGroupMsg(b *testing.B) {
	reply := []byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgTime":1700000000,"MsgSeq":1}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	}))
	defer srv.Close()
	c := newTestClient(b, srv.URL)
	req := SendGroupMsgRequest{
		GroupID:     "room-bench",
		FromAccount: "viewer_1",
		MsgPriority: PriorityLow,
		MsgBody:     []MsgElem{CustomElem("LIKE", `{"count":1}`)},
	}
	ctx := context.Background()

	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.SendGroupMsg(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.SendGroupMsg(ctx, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
}
