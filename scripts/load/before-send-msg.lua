-- wrk script: POSTs a signed Group.CallbackBeforeSendMsg with a clean 200-byte chat message.
-- The signed query string comes from the URL given to wrk (see scripts/load/run).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"CallbackCommand":"Group.CallbackBeforeSendMsg","GroupId":"room-load","Type":"AVChatRoom",' ..
  '"From_Account":"viewer_42","Operator_Account":"viewer_42","Random":123456,"OnlineOnlyFlag":0,' ..
  '"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"この商品のサイズ感を教えてください。 Is the blue one still in stock? 这个颜色很好看，还有货吗？ thanks!!"}}],' ..
  '"EventTime":1795600800000}'
