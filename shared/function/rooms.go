package function

import (
	"context"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/streams"
	"github.com/uriba-live/uriba/shared/tim"
)

// RoomSettings are the settings of every function that works on live rooms.
type RoomSettings struct {
	IM     config.IM
	Store  config.Store
	Fields rooms.Fields
}

// LoadRoomSettings reads the IM settings, STORE and the room's group custom fields.
func LoadRoomSettings(env *config.Loader) RoomSettings {
	return RoomSettings{IM: env.IM(), Store: env.Store(""), Fields: LoadRoomFields(env)}
}

// Rooms is what a function that works on live rooms opens: an IM client, the store and the rooms
// service, which reads the rooms' statistics and sales.
type Rooms struct {
	Admin   string
	IM      *tim.Client
	KV      store.KV
	Service *rooms.Service
}

// OpenRooms opens the IM client, the store and the rooms service on deps. The release function
// closes the store, when it was opened here.
func OpenRooms(ctx context.Context, s RoomSettings, deps Deps) (*Rooms, func(), error) {
	im, err := IMClient(s.IM, deps)
	if err != nil {
		return nil, nil, err
	}
	kv, closeStore, err := OpenStore(ctx, s.Store, deps)
	if err != nil {
		return nil, nil, err
	}
	service, err := rooms.New(kv, im, rooms.Config{
		Admin: s.IM.Admin, Fields: s.Fields, Stats: roomstats.New(kv, 0), Sales: roomstats.NewSales(kv), Logger: deps.Logger,
	})
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return &Rooms{Admin: s.IM.Admin, IM: im, KV: kv, Service: service}, closeStore, nil
}

// EndingSettings are the settings of a function that ends rooms: it drops and forbids their
// streams through the Cloud API and announces the end in IM.
type EndingSettings struct {
	RoomSettings
	Streaming config.Streaming
	CloudAPI  config.CloudAPI
}

// LoadEndingSettings reads the room settings, the streaming settings and the Cloud API access;
// purpose says what the access is for, in problems.
func LoadEndingSettings(env *config.Loader, purpose string) EndingSettings {
	return EndingSettings{RoomSettings: LoadRoomSettings(env), Streaming: env.Streaming(), CloudAPI: env.CloudAPI(purpose)}
}

// OpenEnding opens what OpenRooms opens and the streams service that ends rooms. The release
// function closes the store, when it was opened here.
func OpenEnding(ctx context.Context, s EndingSettings, deps Deps) (*Rooms, *streams.Service, func(), error) {
	api, err := StreamAPI(s.CloudAPI)
	if err != nil {
		return nil, nil, nil, err
	}
	rs, closeStore, err := OpenRooms(ctx, s.RoomSettings, deps)
	if err != nil {
		return nil, nil, nil, err
	}
	ender, err := Streams(s.Streaming, rs.Service, rs.KV, api, rs.IM, deps.Logger)
	if err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	return rs, ender, closeStore, nil
}
