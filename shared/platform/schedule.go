package platform

import "encoding/json"

// IsSchedule reports whether event is a scheduled trigger rather than a delivery: an SCF timer
// ({"Type":"Timer",…}, which the dev server's ticker imitates) or an Amazon EventBridge schedule
// ({"detail-type":"Scheduled Event",…}).
func IsSchedule(event json.RawMessage) bool {
	var e struct {
		Type       string `json:"Type"`
		DetailType string `json:"detail-type"`
	}
	if json.Unmarshal(event, &e) != nil {
		return false
	}
	return e.Type == "Timer" || e.DetailType == "Scheduled Event"
}
